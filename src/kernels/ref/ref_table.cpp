// ref_kernels(): the scalar reference KernelTable (kernel_table.h).
//
// Weight types and their activation (vec_dot) types, ../shared/reference/glm-gguf.md §2.5:
//   F32 -> F32, F16 -> F16, BF16 -> BF16, Q4_0/Q5_0/Q8_0 -> Q8_0, Q4_1/Q5_1 -> Q8_1,
//   Q4_K/Q5_K/Q6_K -> Q8_K.
// Q8_1 and Q8_K are activation-only: quantize and dequantize, no vec_dot. Q2_K, Q3_K and every
// other id stay unsupported. The vector ops (vec) come from ref/vector_ops.cpp.
// Thread: built once (function-local static), immutable after.
#include "kernels/kernel_table.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {

namespace {

KernelTable build_ref_table() {
    KernelTable t;
    t.name = "ref";
    const auto set = [&t](TensorType type, TensorType vec_dot_type, QuantizeRowFn quantize,
                          DequantizeRowFn dequantize, VecDotFn vec_dot) {
        t[type] = TypeKernels{.supported = true,
                              .vec_dot_type = vec_dot_type,
                              .quantize_row = quantize,
                              .dequantize_row = dequantize,
                              .vec_dot = vec_dot};
    };
    using T = TensorType;
    set(T::F32, T::F32, ref::quantize_row_f32, ref::dequantize_row_f32, ref::vec_dot_f32);
    set(T::F16, T::F16, ref::quantize_row_f16, ref::dequantize_row_f16, ref::vec_dot_f16);
    set(T::BF16, T::BF16, ref::quantize_row_bf16, ref::dequantize_row_bf16, ref::vec_dot_bf16);
    set(T::Q4_0, T::Q8_0, ref::quantize_row_q4_0, ref::dequantize_row_q4_0, ref::vec_dot_q4_0_q8_0);
    set(T::Q5_0, T::Q8_0, ref::quantize_row_q5_0, ref::dequantize_row_q5_0, ref::vec_dot_q5_0_q8_0);
    set(T::Q8_0, T::Q8_0, ref::quantize_row_q8_0, ref::dequantize_row_q8_0, ref::vec_dot_q8_0_q8_0);
    set(T::Q4_1, T::Q8_1, ref::quantize_row_q4_1, ref::dequantize_row_q4_1, ref::vec_dot_q4_1_q8_1);
    set(T::Q5_1, T::Q8_1, ref::quantize_row_q5_1, ref::dequantize_row_q5_1, ref::vec_dot_q5_1_q8_1);
    set(T::Q4_K, T::Q8_K, ref::quantize_row_q4_k, ref::dequantize_row_q4_k, ref::vec_dot_q4_k_q8_k);
    set(T::Q5_K, T::Q8_K, ref::quantize_row_q5_k, ref::dequantize_row_q5_k, ref::vec_dot_q5_k_q8_k);
    set(T::Q6_K, T::Q8_K, ref::quantize_row_q6_k, ref::dequantize_row_q6_k, ref::vec_dot_q6_k_q8_k);
    // Activation-only formats: their own vec_dot_type, no dot product.
    set(T::Q8_1, T::Q8_1, ref::quantize_row_q8_1, ref::dequantize_row_q8_1, nullptr);
    set(T::Q8_K, T::Q8_K, ref::quantize_row_q8_k, ref::dequantize_row_q8_k, nullptr);
    t.vec = VectorKernels{.dot_f32_f16 = ref::dot_f32_f16,
                          .axpy_f16 = ref::axpy_f16,
                          .scale_f32 = ref::scale_f32,
                          .dot_f32_f16_tile = ref::dot_f32_f16_tile,
                          .axpy_f16_tile = ref::axpy_f16_tile,
                          .exp_f32 = ref::exp_f32,
                          .add_f32 = ref::add_f32,
                          .rms_norm_f32 = ref::rms_norm_f32,
                          .swiglu_f32 = ref::swiglu_f32};
    return t;
}

}  // namespace

const KernelTable& ref_kernels() {
    static const KernelTable table = build_ref_table();
    return table;
}

}  // namespace glmserve::kernels
