// BM_FmaPeak: the core's multiply-add ceiling at the active table's vector width, so that the
// `flops` of BM_Gemm (and a prompt's tokens/s) can be read as a fraction of what the FMA units
// can do at all. Each iteration runs kChains independent accumulator chains of FMAs on registers
// only: enough chains to cover the FMA latency on every pipe, no loads, no stores. It reports the
// same `flops` counter as BM_Gemm (2 per lane per FMA).
//   ./build/bench/glmserve_kernels_bench --benchmark_filter='FmaPeak|Gemm/type:1/'
// The ref table has no vector width of its own; the benchmark skips there.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <string>

#include "kernels/kernel_table.h"

namespace glmserve::kernels {
namespace {

constexpr int kChains = 24;  // Zen 5: 2 FMA pipes × 4 cycles latency, three times over
constexpr int64_t kFmasPerChain = 1 << 16;  // per iteration: long enough to hide the loop's ends

// One body per width: each must be compiled for its own ISA (a shared template would inherit no
// target, or the wider one). The multiplier stays opaque to the compiler (the asm barrier), so it
// cannot fold a chain into fewer operations; x·y = 1 - 2^-46 or so keeps the values finite.
__attribute__((target("avx512f"))) float chains512() {
    __m512 acc[kChains];
    for (__m512& a : acc) a = _mm512_set1_ps(1.0f);
    __m512 x = _mm512_set1_ps(1.0000001f);
    const __m512 y = _mm512_set1_ps(0.9999999f);
    for (int64_t i = 0; i < kFmasPerChain; ++i) {
#pragma GCC unroll 24
        for (__m512& a : acc) a = _mm512_fmadd_ps(x, y, a);
        asm volatile("" : "+v"(x));
    }
    __m512 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    return lanes[0];
}

__attribute__((target("avx2,fma"))) float chains256() {
    __m256 acc[kChains];
    for (__m256& a : acc) a = _mm256_set1_ps(1.0f);
    __m256 x = _mm256_set1_ps(1.0000001f);
    const __m256 y = _mm256_set1_ps(0.9999999f);
    for (int64_t i = 0; i < kFmasPerChain; ++i) {
#pragma GCC unroll 24
        for (__m256& a : acc) a = _mm256_fmadd_ps(x, y, a);
        asm volatile("" : "+v"(x));
    }
    __m256 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0];
}

void BM_FmaPeak(benchmark::State& state) {
    const KernelTable& table = active_kernels();
    float (*chains)() = nullptr;
    int lanes = 0;
    if (table.name == "avx512") {
        chains = chains512;
        lanes = 16;
    } else if (table.name == "avx2") {
        chains = chains256;
        lanes = 8;
    } else {
        state.SkipWithError("the ref table has no SIMD width; force GLMSERVE_KERNELS=avx2|avx512");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(chains());
    const double flops_per_call = 2.0 * lanes * kChains * static_cast<double>(kFmasPerChain);
    state.counters["flops"] = benchmark::Counter(
        flops_per_call * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(std::string(table.name) + " " + std::to_string(lanes) + "-lane FMA");
}

BENCHMARK(BM_FmaPeak);

}  // namespace
}  // namespace glmserve::kernels
