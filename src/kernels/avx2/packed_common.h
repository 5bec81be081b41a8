// Helpers shared by the row-interleaved kernels (packed*.cpp, avx512/packed_vnni.cpp): loads of
// group chunks and activation words, the rows' fp16 scales, the loop that hands a group's tokens
// to a body compiled for a fixed token count, and the table entries every packed format fills.
// Not part of the kernels' interface; include only from files built with SIMD flags: the avx2
// ones, or the avx512 ones (src/kernels/avx512/).
// Everything here has internal linkage (the unnamed namespace): a file built with the avx512
// flags gets its own copies, so that the linker never hands an AVX2 file a copy compiled with
// AVX-512 instructions (a Debug build keeps these functions out of line).
// Thread: pure functions.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2::detail {
namespace {

// Bytes of the kPackRows fp16 scales at the head of a group block.
inline constexpr size_t kScalesBytes = kPackRows * sizeof(uint16_t);

// How far ahead (bytes) the GEMV asks for the group's next weights: a group is one linear
// stream, so this only has to cover memory latency at the kernel's rate.
inline constexpr int64_t kPrefetchBytes = 1024;

inline __m256i load_32_bytes(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 4 bytes at p in every 32-bit lane.
inline __m256i broadcast_word(const uint8_t* p) {
    int32_t word = 0;
    std::memcpy(&word, p, sizeof(word));
    return _mm256_set1_epi32(word);
}

// Pins v to a register at this point. A body adds each token's products into its sums one
// chunk at a time; GCC reassociates such a chain of int adds into a tree that computes every
// product first, and with several tokens those products (and the float accumulators) spill to
// the stack. A/B in BM_VecDotPacked: the 4-token Q4_0 body took 0.75x the time with the pin.
inline void keep_in_register(__m256i& v) {
    asm("" : "+x"(v));
}

// The 8 rows' fp16 scales at p as floats, lane r = row r.
inline __m256 load_row_scales(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline float load_half(const uint8_t* p) {
    uint16_t h = 0;
    std::memcpy(&h, p, sizeof(h));
    return _cvtsh_ss(h);
}

inline void prefetch(const uint8_t* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

// Kernel<C>::run(n, group, a, a_stride, out, out_stride) computes out[c * out_stride + r] for
// its C tokens (activation rows a_stride apart) against one whole group.
// Tokens kMax at a time (each weight chunk loaded and unpacked once for all of them), then the
// rest with the body for exactly that many: vec_dot_packed over any n_act in 1..kMaxActRows.
template <int kMax, template <int> class Kernel>
void for_tokens(int64_t n, const void* group, const void* a, size_t act_stride, int n_act,
                float* out, size_t out_stride) {
    static_assert(kMax >= 1 && kMax <= kMaxActRows);
    const auto* g = static_cast<const uint8_t*>(group);
    const auto* ap = static_cast<const uint8_t*>(a);
    int c = 0;
    for (; c + kMax <= n_act; c += kMax) {
        Kernel<kMax>::run(n, g, ap + c * act_stride, act_stride, out + c * out_stride, out_stride);
    }
    const int rest = n_act - c;
    const uint8_t* a_rest = ap + c * act_stride;
    float* out_rest = out + c * out_stride;
    if constexpr (kMax > 3) {
        if (rest == 3) Kernel<3>::run(n, g, a_rest, act_stride, out_rest, out_stride);
    }
    if constexpr (kMax > 2) {
        if (rest == 2) Kernel<2>::run(n, g, a_rest, act_stride, out_rest, out_stride);
    }
    if constexpr (kMax > 1) {
        if (rest == 1) Kernel<1>::run(n, g, a_rest, act_stride, out_rest, out_stride);
    }
}

// Writes group block b (kPackRows rows, row_bytes apart, one block of each) at dst.
using PackBlockFn = void (*)(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst);

// Bytes of a group of rows of n values, kBlockBytes per kBlockElems values of each row.
template <int64_t kBlockElems, uint64_t kBlockBytes>
uint64_t group_bytes(int64_t n) {
    return static_cast<uint64_t>(n / kBlockElems) * kBlockBytes;
}

// KernelTable::pack_rows from a format's block packer.
template <int64_t kBlockElems, uint64_t kBlockBytes, PackBlockFn kPackBlock>
void pack_group(int64_t n, const void* rows, size_t row_bytes, void* group) {
    for (int64_t b = 0; b < n / kBlockElems; ++b) {
        kPackBlock(static_cast<const uint8_t*>(rows), row_bytes, b,
                   static_cast<uint8_t*>(group) + b * kBlockBytes);
    }
}

// One packed format's entries of the table: its group size, packer and kernel (a for_tokens
// body, 4 tokens at a time).
template <int64_t kBlockElems, uint64_t kBlockBytes, PackBlockFn kPackBlock,
          template <int> class Kernel>
void set_packed(TypeKernels& k) {
    k.packed_group_bytes = group_bytes<kBlockElems, kBlockBytes>;
    k.pack_rows = pack_group<kBlockElems, kBlockBytes, kPackBlock>;
    k.vec_dot_packed = for_tokens<4, Kernel>;
}

}  // namespace
}  // namespace glmserve::kernels::avx2::detail
