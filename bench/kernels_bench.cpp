// Kernel microbenchmarks: vec_dot per weight type, activation quantization, dequantize_row and
// a GEMV-shaped matmul, for the table chosen by GLMSERVE_KERNELS (ref by default until the SIMD
// tables land, #5). Throughput is reported in weight elements per second.
//   ./build/bench/glmserve_kernels_bench --benchmark_filter=VecDot
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/thread_pool.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;

std::vector<float> random_row(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<uint8_t> quantized_row(const KernelTable& table, T type, int64_t n, uint32_t seed) {
    const std::vector<float> x = random_row(n, seed);
    std::vector<uint8_t> q(gguf::row_bytes(type, n).value());
    table[type].quantize_row(x.data(), q.data(), n);
    return q;
}

// state.range(0): the weight type id. One row of 4096 elements (a typical n_embd).
void BM_VecDot(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const KernelTable& table = active_kernels();
    constexpr int64_t kN = 4096;
    const std::vector<uint8_t> w = quantized_row(table, type, kN, 1);
    const std::vector<uint8_t> a = quantized_row(table, table[type].vec_dot_type, kN, 2);
    for (auto _ : state) {
        benchmark::DoNotOptimize(table[type].vec_dot(kN, w.data(), a.data()));
    }
    state.SetItemsProcessed(state.iterations() * kN);
    state.SetLabel(std::string(gguf::tensor_type_name(type)));
}

void BM_QuantizeActivation(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const KernelTable& table = active_kernels();
    constexpr int64_t kN = 4096;
    const std::vector<float> x = random_row(kN, 3);
    std::vector<uint8_t> q(gguf::row_bytes(type, kN).value());
    for (auto _ : state) {
        table[type].quantize_row(x.data(), q.data(), kN);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kN);
    state.SetLabel(std::string(gguf::tensor_type_name(type)));
}

void BM_DequantizeRow(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const KernelTable& table = active_kernels();
    constexpr int64_t kN = 4096;
    const std::vector<uint8_t> q = quantized_row(table, type, kN, 4);
    std::vector<float> y(kN);
    for (auto _ : state) {
        table[type].dequantize_row(q.data(), y.data(), kN);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kN);
    state.SetLabel(std::string(gguf::tensor_type_name(type)));
}

// One decode step of a [1024 x 4096] projection: range(0) type, range(1) threads.
void BM_MatmulGemv(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const KernelTable& table = active_kernels();
    constexpr int64_t kNIn = 4096;
    constexpr int64_t kNOut = 1024;
    const uint64_t row_bytes = gguf::row_bytes(type, kNIn).value();
    std::vector<uint8_t> weights(row_bytes * kNOut);
    const std::vector<float> values = random_row(kNIn, 5);
    for (int64_t o = 0; o < kNOut; ++o) {
        table[type].quantize_row(values.data(), weights.data() + o * row_bytes, kNIn);
    }
    const WeightMatrix w{
        .type = type, .data = weights.data(), .n_in = kNIn, .n_out = kNOut, .row_bytes = row_bytes};
    const std::vector<float> x = random_row(kNIn, 6);
    std::vector<float> y(kNOut);
    ThreadPool pool(static_cast<int>(state.range(1)));
    MatmulScratch scratch;
    for (auto _ : state) {
        matmul(table, w, x.data(), 1, y.data(), scratch, pool);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kNIn * kNOut);
    state.SetLabel(std::string(gguf::tensor_type_name(type)));
}

constexpr int64_t id(T t) {
    return static_cast<int64_t>(t);
}

BENCHMARK(BM_VecDot)
    ->Arg(id(T::F32))
    ->Arg(id(T::F16))
    ->Arg(id(T::BF16))
    ->Arg(id(T::Q8_0))
    ->Arg(id(T::Q4_0))
    ->Arg(id(T::Q5_0))
    ->Arg(id(T::Q4_1))
    ->Arg(id(T::Q5_1))
    ->Arg(id(T::Q4_K))
    ->Arg(id(T::Q5_K))
    ->Arg(id(T::Q6_K));
BENCHMARK(BM_QuantizeActivation)->Arg(id(T::Q8_0))->Arg(id(T::Q8_1))->Arg(id(T::Q8_K));
BENCHMARK(BM_DequantizeRow)
    ->Arg(id(T::F16))
    ->Arg(id(T::Q8_0))
    ->Arg(id(T::Q4_0))
    ->Arg(id(T::Q4_K))
    ->Arg(id(T::Q6_K));
BENCHMARK(BM_MatmulGemv)
    ->ArgsProduct({{id(T::Q8_0), id(T::Q4_K), id(T::Q6_K)}, {1, 2}})
    ->UseRealTime();

}  // namespace
}  // namespace glmserve::kernels
