// Kernel microbenchmarks for the table active_kernels() picks (GLMSERVE_KERNELS=ref|avx2 forces
// one): vec_dot per weight type, the packed group kernels on cache-resident data, activation
// quantization and dequantize_row (weight elements per second), and matmul at model shapes
// 4096x4096 and 4096x13696 (n_in x n_out) on 1 and 2 threads: BM_Gemv (1 token, a decode step)
// reports bytes of weights read per second, since a GEMV is bound by memory bandwidth; BM_Gemm (128
// tokens, a prefill chunk) reports the counter `flops` (2·n_in·n_out·n_tokens per call, as a rate),
// since it is bound by arithmetic.
//   ./build/bench/glmserve_kernels_bench --benchmark_filter='Gemv|Gemm'
//   GLMSERVE_KERNELS=ref ./build/bench/glmserve_kernels_bench --benchmark_filter=Gemv/2
// Weight rows repeat a few distinct quantized rows (quantizing 56M values with the ref kernels
// takes longer than the benchmark); every row still sits at its own address, so the bytes read
// from memory are those of a real matrix.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
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

// One packed group (kPackRows rows of 2048 elements) against range(1) activation rows, all in
// L1/L2: the packed kernel's arithmetic cost without memory stalls. range(0): the weight type.
// Items are multiply-adds (rows × elements × tokens); bytes are the group's weight bytes.
void BM_VecDotPacked(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const int n_act = static_cast<int>(state.range(1));
    const KernelTable& table = active_kernels();
    const TypeKernels& k = table[type];
    if (k.pack_rows == nullptr) {
        state.SkipWithError("no packed kernel for this type in this table");
        return;
    }
    constexpr int64_t kN = 2048;
    const uint64_t row_bytes = gguf::row_bytes(type, kN).value();
    std::vector<uint8_t> rows;
    for (int r = 0; r < kPackRows; ++r) {
        const std::vector<uint8_t> q = quantized_row(table, type, kN, 10 + r);
        rows.insert(rows.end(), q.begin(), q.end());
    }
    std::vector<uint8_t> group(k.packed_group_bytes(kN));
    k.pack_rows(kN, rows.data(), row_bytes, group.data());
    // Activation rows as matmul hands them to the packed kernel: with the type's suffix.
    const uint64_t type_row_bytes = gguf::row_bytes(k.vec_dot_type, kN).value();
    const uint64_t suffix_bytes = k.act_suffix_bytes != nullptr ? k.act_suffix_bytes(kN) : 0;
    const uint64_t act_bytes = type_row_bytes + suffix_bytes;
    std::vector<uint8_t> acts;
    for (int c = 0; c < n_act; ++c) {
        std::vector<uint8_t> q = quantized_row(table, k.vec_dot_type, kN, 20 + c);
        q.resize(act_bytes);
        if (k.write_act_suffix != nullptr) {
            k.write_act_suffix(kN, q.data(), q.data() + type_row_bytes);
        }
        acts.insert(acts.end(), q.begin(), q.end());
    }
    float out[kPackRows * kMaxActRows];
    for (auto _ : state) {
        k.vec_dot_packed(kN, group.data(), acts.data(), act_bytes, n_act, out, kPackRows);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * kN * kPackRows * n_act);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(group.size()));
    state.SetLabel(std::string(gguf::tensor_type_name(type)) + " " + std::to_string(n_act) + "tok");
}

// ---- Model-shaped matmuls ----

constexpr int64_t kModelNIn = 4096;
constexpr int64_t kGemmTokens = 128;

// The weight matrix of the benchmark running now. Only one is kept (the largest F16 one is
// 112 MB); the benchmarks are registered with threads innermost, so consecutive runs reuse it.
struct BenchMatrix {
    T type = T::F32;
    int64_t n_out = 0;
    std::vector<uint8_t> bytes;
    WeightMatrix w;
    PackedWeights packed_store;
    WeightMatrix packed_w;  // w with a row-interleaved copy, where the table has one for type
};

// The matrix, and with `packed` its row-interleaved copy (as the model loader makes it).
const WeightMatrix& bench_matrix(const KernelTable& table, T type, int64_t n_out,
                                 bool packed = false) {
    static BenchMatrix cached;
    if (cached.type == type && cached.n_out == n_out && !cached.bytes.empty()) {
        return packed ? cached.packed_w : cached.w;
    }
    constexpr int64_t kDistinctRows = 16;
    const uint64_t row_bytes = gguf::row_bytes(type, kModelNIn).value();
    cached.bytes.assign(row_bytes * static_cast<uint64_t>(n_out), 0);
    for (int64_t o = 0; o < n_out; ++o) {
        uint8_t* row = cached.bytes.data() + static_cast<uint64_t>(o) * row_bytes;
        if (o < kDistinctRows) {
            const std::vector<float> values = random_row(kModelNIn, 100 + static_cast<uint32_t>(o));
            table[type].quantize_row(values.data(), row, kModelNIn);
        } else {
            std::memcpy(row,
                        cached.bytes.data() + static_cast<uint64_t>(o % kDistinctRows) * row_bytes,
                        row_bytes);
        }
    }
    cached.type = type;
    cached.n_out = n_out;
    cached.w = WeightMatrix{.type = type,
                            .data = cached.bytes.data(),
                            .n_in = kModelNIn,
                            .n_out = n_out,
                            .row_bytes = row_bytes};
    cached.packed_store = PackedWeights();
    cached.packed_w = cached.w;
    cached.packed_store.pack(table, cached.packed_w);
    return packed ? cached.packed_w : cached.w;
}

// e.g. "avx2 Q4_K 4096x13696 128tok" (table, weight type, n_in x n_out, tokens).
std::string shape_label(const KernelTable& table, const WeightMatrix& w, int64_t n_tokens) {
    return std::string(table.name) + " " + std::string(gguf::tensor_type_name(w.type)) + " " +
           std::to_string(kModelNIn) + "x" + std::to_string(w.n_out) + " " +
           std::to_string(n_tokens) + "tok" + (w.packed != nullptr ? " packed" : "");
}

// range(0) type, range(1) n_out, range(2) threads, range(3) packed. One token: y [1, n_out] = x ·
// W^T.
void BM_Gemv(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const int64_t n_out = state.range(1);
    const KernelTable& table = active_kernels();
    const WeightMatrix& w = bench_matrix(table, type, n_out, state.range(3) != 0);
    const std::vector<float> x = random_row(kModelNIn, 7);
    std::vector<float> y(static_cast<size_t>(n_out));
    ThreadPool pool(static_cast<int>(state.range(2)));
    MatmulScratch scratch;
    for (auto _ : state) {
        matmul(table, w, x.data(), 1, y.data(), scratch, pool);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() *
                            static_cast<int64_t>(w.row_bytes * static_cast<uint64_t>(n_out)));
    state.SetLabel(shape_label(table, w, 1));
}

// range(0) type, range(1) n_out, range(2) threads, range(3) packed. kGemmTokens tokens: y [128,
// n_out].
void BM_Gemm(benchmark::State& state) {
    const auto type = static_cast<T>(state.range(0));
    const int64_t n_out = state.range(1);
    const KernelTable& table = active_kernels();
    const WeightMatrix& w = bench_matrix(table, type, n_out, state.range(3) != 0);
    const std::vector<float> x = random_row(kGemmTokens * kModelNIn, 8);
    std::vector<float> y(static_cast<size_t>(kGemmTokens * n_out));
    ThreadPool pool(static_cast<int>(state.range(2)));
    MatmulScratch scratch;
    for (auto _ : state) {
        matmul(table, w, x.data(), kGemmTokens, y.data(), scratch, pool);
        benchmark::ClobberMemory();
    }
    const double flops_per_call = 2.0 * kModelNIn * static_cast<double>(n_out) * kGemmTokens;
    state.counters["flops"] = benchmark::Counter(
        flops_per_call * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetLabel(shape_label(table, w, kGemmTokens));
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
BENCHMARK(BM_VecDotPacked)
    ->ArgNames({"type", "n_act"})
    ->ArgsProduct({{id(T::F16), id(T::BF16), id(T::Q8_0), id(T::Q4_0), id(T::Q5_0), id(T::Q4_K),
                    id(T::Q5_K), id(T::Q6_K)},
                   {1, 2, 3, 4}});
BENCHMARK(BM_MatmulGemv)
    ->ArgsProduct({{id(T::Q8_0), id(T::Q4_K), id(T::Q6_K)}, {1, 2}})
    ->UseRealTime();

// Types outermost and threads innermost, so bench_matrix rebuilds only when the matrix changes.
constexpr int64_t kShapeTypes[] = {id(T::F16),  id(T::BF16), id(T::Q8_0), id(T::Q4_0),
                                   id(T::Q4_K), id(T::Q5_K), id(T::Q6_K)};
void model_shapes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"type", "n_out", "threads", "packed"});
    for (const int64_t type : kShapeTypes) {
        const bool packs = active_kernels()[static_cast<T>(type)].pack_rows != nullptr;
        for (const int64_t n_out : {int64_t{4096}, int64_t{13696}}) {
            for (const int64_t threads : {int64_t{1}, int64_t{2}}) {
                b->Args({type, n_out, threads, 0});
                if (packs) b->Args({type, n_out, threads, 1});
            }
        }
    }
}
BENCHMARK(BM_Gemv)->Apply(model_shapes)->UseRealTime();
BENCHMARK(BM_Gemm)->Apply(model_shapes)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace glmserve::kernels
