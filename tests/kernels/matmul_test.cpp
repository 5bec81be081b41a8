// matmul over the ref table: bit-identical results for 1-4 threads, agreement with a naive
// double-precision dequantize-then-dot on the unquantized activations (odd shapes: n_out not
// a multiple of the thread count, 1 and 7 tokens), F32 without conversion, embedding rows, and
// scratch reuse. For the ref table, the active table and ref tables given a vec_dot_rows or a
// vec_dot_tile (so those paths run whatever the active table has): every token's outputs equal
// its own 1-token matmul bit for bit for any n_tokens and thread count, matmul_many equals
// separate matmuls bit for bit, and threads own whole 16-output chunks of y. The wrapped tables
// compute each element with ref's vec_dot, so their matmuls must also equal ref's bit for bit,
// which checks where the tile paths put every output.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::random_normal;

// |y - naive| <= tol * ||W[o]|| * ||x[t]||: the error of converting activations to the
// vec_dot_type (relative to the Cauchy-Schwarz scale of the dot product). Measured worst per
// activation type on these shapes, then set with margin.
double activation_tolerance(T activation) {
    switch (activation) {
        case T::F32: return 2e-7;     // measured 2.2e-8
        case T::F16: return 4e-4;     // measured 9.9e-5
        case T::BF16: return 2.5e-3;  // measured 6.0e-4
        default: return 5e-3;         // Q8_0 / Q8_1 / Q8_K: measured 1.5e-3
    }
}

struct Matrix {
    WeightMatrix w;
    std::vector<uint8_t> bytes;
    std::vector<float> dequantized;  // [n_out, n_in]
};

Matrix make_matrix(T type, int64_t n_in, int64_t n_out, uint32_t seed) {
    Matrix m;
    const KernelTable& table = ref_kernels();
    const uint64_t row_bytes = testing::bytes_of_row(type, n_in);
    m.bytes.resize(row_bytes * static_cast<uint64_t>(n_out));
    m.dequantized.resize(static_cast<size_t>(n_in * n_out));
    const std::vector<float> values = random_normal(n_in * n_out, seed, 0.05f);
    for (int64_t o = 0; o < n_out; ++o) {
        uint8_t* row = m.bytes.data() + static_cast<uint64_t>(o) * row_bytes;
        table[type].quantize_row(values.data() + o * n_in, row, n_in);
        table[type].dequantize_row(row, m.dequantized.data() + o * n_in, n_in);
    }
    m.w = WeightMatrix{
        .type = type, .data = m.bytes.data(), .n_in = n_in, .n_out = n_out, .row_bytes = row_bytes};
    return m;
}

std::vector<float> run_matmul(const Matrix& m, const std::vector<float>& x, int64_t n_tokens,
                              int n_threads) {
    ThreadPool pool(n_threads);
    MatmulScratch scratch;
    std::vector<float> y(static_cast<size_t>(n_tokens * m.w.n_out), NAN);
    matmul(ref_kernels(), m.w, x.data(), n_tokens, y.data(), scratch, pool);
    return y;
}

struct MatmulCase {
    T type;
    int64_t n_in;
};
constexpr MatmulCase kMatmulCases[] = {
    {T::F32, 37},   {T::F16, 37},   {T::BF16, 37},  {T::F32, 512},  {T::Q8_0, 96},
    {T::Q4_0, 96},  {T::Q5_0, 96},  {T::Q4_1, 96},  {T::Q5_1, 96},  {T::Q8_0, 512},
    {T::Q4_K, 512}, {T::Q5_K, 512}, {T::Q6_K, 512}, {T::Q4_K, 256},
};

class Matmul : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(Matmul, ThreadCountDoesNotChangeBitsAndMatchesNaive) {
    const MatmulCase c = GetParam();
    constexpr int64_t kNOut = 13;  // not a multiple of 2, 3 or 4
    const Matrix m = make_matrix(c.type, c.n_in, kNOut, 21);
    const double tol = activation_tolerance(ref_kernels()[c.type].vec_dot_type);
    double worst = 0.0;
    for (const int64_t n_tokens : {int64_t{1}, int64_t{7}}) {
        const std::vector<float> x = random_normal(n_tokens * c.n_in, 22);
        const std::vector<float> y1 = run_matmul(m, x, n_tokens, 1);
        for (int n_threads = 2; n_threads <= 4; ++n_threads) {
            const std::vector<float> yn = run_matmul(m, x, n_tokens, n_threads);
            ASSERT_EQ(std::memcmp(y1.data(), yn.data(), y1.size() * sizeof(float)), 0)
                << n_threads << " threads, " << n_tokens << " tokens";
        }
        for (int64_t t = 0; t < n_tokens; ++t) {
            for (int64_t o = 0; o < kNOut; ++o) {
                double naive = 0.0, w_norm = 0.0, x_norm = 0.0;
                for (int64_t i = 0; i < c.n_in; ++i) {
                    const double wi = m.dequantized[static_cast<size_t>(o * c.n_in + i)];
                    const double xi = x[static_cast<size_t>(t * c.n_in + i)];
                    naive += wi * xi;
                    w_norm += wi * wi;
                    x_norm += xi * xi;
                }
                const double scale = std::sqrt(w_norm * x_norm);
                const double got = y1[static_cast<size_t>(t * kNOut + o)];
                EXPECT_NEAR(got, naive, tol * scale) << "token " << t << " row " << o;
                worst = std::max(worst, std::fabs(got - naive) / scale);
            }
        }
    }
    char worst_text[32];
    std::snprintf(worst_text, sizeof(worst_text), "%.3g", worst);
    RecordProperty("worst_rel_to_norms", worst_text);
}

INSTANTIATE_TEST_SUITE_P(Ref, Matmul, ::testing::ValuesIn(kMatmulCases),
                         [](const auto& param_info) {
                             return std::string(gguf::tensor_type_name(param_info.param.type)) +
                                    "_n" + std::to_string(param_info.param.n_in);
                         });

TEST(MatmulF32, UsesActivationsUnconverted) {
    const Matrix m = make_matrix(T::F32, 5, 3, 1);
    const std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
    const std::vector<float> y = run_matmul(m, x, 1, 2);
    for (int64_t o = 0; o < 3; ++o) {
        double sum = 0.0;
        for (int64_t i = 0; i < 5; ++i) {
            sum += static_cast<double>(m.dequantized[static_cast<size_t>(o * 5 + i)] * x[i]);
        }
        EXPECT_EQ(y[static_cast<size_t>(o)], static_cast<float>(sum));  // the ref F32 semantic
    }
}

TEST(MatmulDequantizeRow, ReturnsExactRow) {
    for (const T type : {T::F32, T::F16, T::Q4_0, T::Q6_K}) {
        const Matrix m = make_matrix(type, 256, 5, 3);
        std::vector<float> row(256);
        dequantize_row(ref_kernels(), m.w, 4, row.data());
        EXPECT_EQ(0, std::memcmp(row.data(), m.dequantized.data() + 4 * 256, 256 * sizeof(float)));
    }
}

TEST(MatmulScratch, ReusesItsBuffer) {
    MatmulScratch scratch;
    uint8_t* first = scratch.reserve(4096);
    EXPECT_EQ(scratch.reserve(100), first);
    EXPECT_EQ(scratch.reserve(4096), first);
    EXPECT_NE(scratch.reserve(8192), nullptr);
}

TEST(MatmulShapes, ZeroTokensIsANoOp) {
    const Matrix m = make_matrix(T::Q8_0, 64, 3, 2);
    ThreadPool pool(2);
    MatmulScratch scratch;
    matmul(ref_kernels(), m.w, nullptr, 0, nullptr, scratch, pool);
}

// ---- Tables for the determinism tests ----

std::atomic<int64_t> g_rows_calls{0};
std::atomic<int64_t> g_rows_bad_n_act{0};
std::atomic<int64_t> g_tile_calls{0};
std::atomic<int64_t> g_tile_gemv_calls{0};  // one token, several weight rows
std::atomic<int64_t> g_tile_bad_shape{0};
std::atomic<uint32_t> g_tile_n_act_seen{0};  // bit n_act set once a call had n_act tokens
std::atomic<uint32_t> g_tile_n_w_seen{0};    // bit n_w set once a call had n_w weight rows

// A vec_dot_rows for type id kType that calls ref's vec_dot once per activation row: bit-
// identical to vec_dot by construction, so any difference a test sees is matmul's (wrong
// activation row, stride, or output slot). Counts calls so a test can tell the path ran.
template <uint32_t kType>
void ref_vec_dot_rows(int64_t n, const void* weights, const void* activations, size_t act_stride,
                      int n_act, float* out) {
    g_rows_calls.fetch_add(1, std::memory_order_relaxed);
    if (n_act < 1 || n_act > kMaxActRows) g_rows_bad_n_act.fetch_add(1);
    const VecDotFn dot = ref_kernels().types[kType].vec_dot;
    for (int j = 0; j < n_act; ++j) {
        out[j] = dot(n, weights, static_cast<const uint8_t*>(activations) + j * act_stride);
    }
}

// The same for vec_dot_tile: ref's vec_dot per (weight row, activation row).
template <uint32_t kType>
void ref_vec_dot_tile(int64_t n, const void* weights, size_t w_stride, int n_w,
                      const void* activations, size_t act_stride, int n_act, float* out,
                      size_t out_stride) {
    g_tile_calls.fetch_add(1, std::memory_order_relaxed);
    if (n_act == 1 && n_w > 1) g_tile_gemv_calls.fetch_add(1, std::memory_order_relaxed);
    if (n_w < 1 || n_w > kMaxTileRows || n_act < 1 || n_act > kMaxActRows) {
        g_tile_bad_shape.fetch_add(1);
    } else {
        g_tile_n_act_seen.fetch_or(1u << n_act, std::memory_order_relaxed);
        g_tile_n_w_seen.fetch_or(1u << n_w, std::memory_order_relaxed);
    }
    const VecDotFn dot = ref_kernels().types[kType].vec_dot;
    for (int r = 0; r < n_w; ++r) {
        for (int j = 0; j < n_act; ++j) {
            out[r * out_stride + j] =
                dot(n, static_cast<const uint8_t*>(weights) + r * w_stride,
                    static_cast<const uint8_t*>(activations) + j * act_stride);
        }
    }
}

template <uint32_t... kTypes>
KernelTable make_ref_with_rows(std::integer_sequence<uint32_t, kTypes...>) {
    KernelTable t = ref_kernels();
    t.name = "ref+rows";
    ((t.types[kTypes].vec_dot_rows =
          t.types[kTypes].vec_dot != nullptr ? &ref_vec_dot_rows<kTypes> : nullptr),
     ...);
    return t;
}

// ref with vec_dot_tile everywhere, and vec_dot_rows too (matmul must prefer the tile).
template <uint32_t... kTypes>
KernelTable make_ref_with_tile(std::integer_sequence<uint32_t, kTypes...> types) {
    KernelTable t = make_ref_with_rows(types);
    t.name = "ref+tile";
    ((t.types[kTypes].vec_dot_tile =
          t.types[kTypes].vec_dot != nullptr ? &ref_vec_dot_tile<kTypes> : nullptr),
     ...);
    return t;
}

// ref+tile asking matmul for 3 tokens a call, as the AVX2 float tiles do.
KernelTable make_ref_with_tile_of_three() {
    KernelTable t =
        make_ref_with_tile(std::make_integer_sequence<uint32_t, gguf::kTensorTypeIdLimit>{});
    t.name = "ref+tile3";
    for (TypeKernels& k : t.types) k.tile_tokens = 3;
    return t;
}

const KernelTable& ref_with_rows() {
    static const KernelTable table =
        make_ref_with_rows(std::make_integer_sequence<uint32_t, gguf::kTensorTypeIdLimit>{});
    return table;
}

const KernelTable& ref_with_tile() {
    static const KernelTable table =
        make_ref_with_tile(std::make_integer_sequence<uint32_t, gguf::kTensorTypeIdLimit>{});
    return table;
}

const KernelTable& ref_with_tile_of_three() {
    static const KernelTable table = make_ref_with_tile_of_three();
    return table;
}

// ref+tile asking matmul for kMaxTileRows weight rows a call, as the AVX-512 BF16 tile does.
const KernelTable& ref_with_wide_tile() {
    static const KernelTable table = [] {
        KernelTable t =
            make_ref_with_tile(std::make_integer_sequence<uint32_t, gguf::kTensorTypeIdLimit>{});
        t.name = "ref+tile16";
        for (TypeKernels& k : t.types) k.tile_rows = kMaxTileRows;
        return t;
    }();
    return table;
}

enum class TableKind { Ref, RefWithRows, RefWithTile, RefWithTileOfThree, RefWithWideTile, Active };

const KernelTable& table_of(TableKind kind) {
    switch (kind) {
        case TableKind::Ref: return ref_kernels();
        case TableKind::RefWithRows: return ref_with_rows();
        case TableKind::RefWithTile: return ref_with_tile();
        case TableKind::RefWithTileOfThree: return ref_with_tile_of_three();
        case TableKind::RefWithWideTile: return ref_with_wide_tile();
        case TableKind::Active: return active_kernels();
    }
    return ref_kernels();
}

std::string table_kind_name(const ::testing::TestParamInfo<TableKind>& info) {
    switch (info.param) {
        case TableKind::Ref: return "Ref";
        case TableKind::RefWithRows: return "RefWithRows";
        case TableKind::RefWithTile: return "RefWithTile";
        case TableKind::RefWithTileOfThree: return "RefWithTileOfThree";
        case TableKind::RefWithWideTile: return "RefWithWideTile";
        case TableKind::Active: return "Active";
    }
    return "Unknown";
}

// Every weight type the table can multiply (and ref can quantize, to build the weights).
std::vector<T> matmul_types(const KernelTable& table) {
    std::vector<T> types;
    for (uint32_t id = 0; id < gguf::kTensorTypeIdLimit; ++id) {
        const auto type = static_cast<T>(id);
        if (can_matmul(table, type) && ref_kernels()[type].quantize_row != nullptr) {
            types.push_back(type);
        }
    }
    return types;
}

std::vector<float> matmul_with(const KernelTable& table, const WeightMatrix& w, const float* x,
                               int64_t n_tokens, MatmulScratch& scratch, ThreadPool& pool) {
    std::vector<float> y(static_cast<size_t>(n_tokens * w.n_out), NAN);
    matmul(table, w, x, n_tokens, y.data(), scratch, pool);
    return y;
}

class MatmulDeterminism : public ::testing::TestWithParam<TableKind> {};

TEST_P(MatmulDeterminism, EachTokenEqualsItsOneTokenMatmulBitForBit) {
    const KernelTable& table = table_of(GetParam());
    constexpr int64_t kNIn = 256;  // one K-quant super-block, eight legacy blocks
    constexpr int64_t kNOut = 37;  // three 16-output chunks, the last one partial
    constexpr int64_t kMaxTokens = 9;
    ThreadPool pools[] = {ThreadPool(1), ThreadPool(2), ThreadPool(3)};
    MatmulScratch scratch;
    const int64_t rows_calls_before = g_rows_calls.load();
    const int64_t tile_calls_before = g_tile_calls.load();
    const int64_t gemv_calls_before = g_tile_gemv_calls.load();
    const std::vector<T> types = matmul_types(table);
    ASSERT_GE(types.size(), 11u) << "every ref weight type";
    for (const T type : types) {
        SCOPED_TRACE(gguf::tensor_type_name(type));
        const Matrix m = make_matrix(type, kNIn, kNOut, 31);
        const std::vector<float> x = random_normal(kMaxTokens * kNIn, 32);
        std::vector<std::vector<float>> alone;  // alone[t]: token t's 1-token matmul
        for (int64_t t = 0; t < kMaxTokens; ++t) {
            alone.push_back(matmul_with(table, m.w, x.data() + t * kNIn, 1, scratch, pools[0]));
        }
        for (const int64_t n_tokens : {1, 2, 3, 4, 5, 7, 9}) {
            for (ThreadPool& pool : pools) {
                const std::vector<float> y =
                    matmul_with(table, m.w, x.data(), n_tokens, scratch, pool);
                for (int64_t t = 0; t < n_tokens; ++t) {
                    ASSERT_EQ(
                        0, std::memcmp(y.data() + t * kNOut, alone[static_cast<size_t>(t)].data(),
                                       kNOut * sizeof(float)))
                        << "token " << t << " of " << n_tokens << ", " << pool.size() << " threads";
                }
            }
        }
    }
    EXPECT_EQ(g_rows_bad_n_act.load(), 0);
    EXPECT_EQ(g_tile_bad_shape.load(), 0);
    if (GetParam() == TableKind::RefWithRows) {  // only the wrapped tables count calls
        EXPECT_GT(g_rows_calls.load(), rows_calls_before) << "the token-tile path did not run";
    }
    if (GetParam() == TableKind::RefWithTile) {
        EXPECT_GT(g_tile_calls.load(), tile_calls_before) << "the tile path did not run";
        EXPECT_GT(g_tile_gemv_calls.load(), gemv_calls_before)
            << "1-token matmuls took 1 row a call";
        EXPECT_EQ(g_rows_calls.load(), rows_calls_before) << "vec_dot_rows ran despite the tile";
    }
}

TEST_P(MatmulDeterminism, ManyEqualsSeparateMatmulsBitForBit) {
    const KernelTable& table = table_of(GetParam());
    constexpr int64_t kNIn = 256;
    // Mixed activation types: Q8_0 (Q4_0), Q8_K shared by Q6_K and Q4_K, F16, and F32 used as
    // is; n_out 1, 16, 37 and 64 cover a single row, exact chunks and a partial chunk.
    const Matrix matrices[] = {
        make_matrix(T::Q4_0, kNIn, 37, 41), make_matrix(T::Q6_K, kNIn, 16, 42),
        make_matrix(T::F16, kNIn, 5, 43),   make_matrix(T::Q4_K, kNIn, 64, 44),
        make_matrix(T::F32, kNIn, 20, 45),  make_matrix(T::Q8_0, kNIn, 1, 46),
    };
    const std::vector<float> x = random_normal(9 * kNIn, 47);
    for (const int n_threads : {1, 2, 3}) {
        ThreadPool pool(n_threads);
        MatmulScratch scratch;  // shared by both paths: each call must rebuild what it reads
        for (const int64_t n_tokens : {1, 2, 5, 9}) {
            std::vector<std::vector<float>> many;
            std::vector<MatmulJob> jobs;
            for (const Matrix& m : matrices) {
                many.emplace_back(static_cast<size_t>(n_tokens * m.w.n_out), NAN);
                jobs.push_back(MatmulJob{.w = &m.w, .y = many.back().data()});
            }
            matmul_many(table, jobs, x.data(), n_tokens, scratch, pool);
            for (size_t j = 0; j < std::size(matrices); ++j) {
                const std::vector<float> separate =
                    matmul_with(table, matrices[j].w, x.data(), n_tokens, scratch, pool);
                ASSERT_EQ(0, std::memcmp(separate.data(), many[j].data(),
                                         separate.size() * sizeof(float)))
                    << gguf::tensor_type_name(matrices[j].w.type) << ", " << n_tokens << " tokens, "
                    << n_threads << " threads";
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Tables, MatmulDeterminism,
                         ::testing::Values(TableKind::Ref, TableKind::RefWithRows,
                                           TableKind::RefWithTile, TableKind::RefWithTileOfThree,
                                           TableKind::RefWithWideTile, TableKind::Active),
                         table_kind_name);

// The wrapped tables compute every element with ref's vec_dot, so any difference from ref's own
// matmul is a tile path putting an output in the wrong place (or computing it from the wrong
// weight row or token). n_out 37 leaves a partial row group and a partial chunk; 13 tokens a
// partial token tile.
TEST(MatmulTiles, WrappedRefTablesEqualRefBitForBit) {
    constexpr int64_t kNIn = 64;
    constexpr int64_t kNOut = 37;
    const Matrix m = make_matrix(T::Q8_0, kNIn, kNOut, 61);
    const std::vector<float> x = random_normal(13 * kNIn, 62);
    for (const int n_threads : {1, 2, 3}) {
        ThreadPool pool(n_threads);
        MatmulScratch scratch;
        for (const int64_t n_tokens : {1, 2, 4, 5, 13}) {
            const std::vector<float> want =
                matmul_with(ref_kernels(), m.w, x.data(), n_tokens, scratch, pool);
            for (const TableKind kind :
                 {TableKind::RefWithRows, TableKind::RefWithTile, TableKind::RefWithTileOfThree}) {
                const std::vector<float> got =
                    matmul_with(table_of(kind), m.w, x.data(), n_tokens, scratch, pool);
                ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
                    << table_of(kind).name << ", " << n_tokens << " tokens, " << n_threads
                    << " threads";
            }
        }
    }
}

// TypeKernels::tile_tokens sets how many tokens matmul hands vec_dot_tile a call: 13 tokens go
// as 4+4+4+1 by default and as 3+3+3+3+1 with tile_tokens 3 (never more than asked for).
TEST(MatmulTiles, TileTokensSetsTheTokensPerCall) {
    const Matrix m = make_matrix(T::Q8_0, 64, 37, 63);
    const std::vector<float> x = random_normal(13 * 64, 64);
    ThreadPool pool(2);
    MatmulScratch scratch;
    const auto tokens_per_call = [&](TableKind kind) {
        g_tile_n_act_seen.store(0);
        matmul_with(table_of(kind), m.w, x.data(), 13, scratch, pool);
        return g_tile_n_act_seen.load();
    };
    EXPECT_EQ(tokens_per_call(TableKind::RefWithTile), (1u << 4) | (1u << 1));
    EXPECT_EQ(tokens_per_call(TableKind::RefWithTileOfThree), (1u << 3) | (1u << 1));
}

// TypeKernels::tile_rows sets how many weight rows matmul hands vec_dot_tile a call, within a
// 16-output chunk: 37 outputs go as 16+16+5 rows with tile_rows 16, and in fours by default.
TEST(MatmulTiles, TileRowsSetsTheRowsPerCall) {
    const Matrix m = make_matrix(T::Q8_0, 64, 37, 65);
    const std::vector<float> x = random_normal(2 * 64, 66);
    ThreadPool pool(2);
    MatmulScratch scratch;
    const auto rows_per_call = [&](TableKind kind) {
        g_tile_n_w_seen.store(0);
        const std::vector<float> y = matmul_with(table_of(kind), m.w, x.data(), 2, scratch, pool);
        EXPECT_EQ(y, matmul_with(ref_kernels(), m.w, x.data(), 2, scratch, pool));
        return g_tile_n_w_seen.load();
    };
    EXPECT_EQ(rows_per_call(TableKind::RefWithTile), (1u << 4) | (1u << 1));
    EXPECT_EQ(rows_per_call(TableKind::RefWithWideTile), (1u << 16) | (1u << 5));
}

TEST(MatmulMany, NoJobsOrNoTokensIsANoOp) {
    const Matrix m = make_matrix(T::Q8_0, 64, 3, 2);
    ThreadPool pool(2);
    MatmulScratch scratch;
    matmul_many(ref_kernels(), {}, nullptr, 4, scratch, pool);
    const MatmulJob job{.w = &m.w, .y = nullptr};
    matmul_many(ref_kernels(), std::span<const MatmulJob>(&job, 1), nullptr, 0, scratch, pool);
}

// ---- Chunk ownership: which thread computed each output row ----

struct OwnerLog {
    const uint8_t* weights = nullptr;
    uint64_t row_bytes = 0;
    std::vector<std::thread::id> owner;  // [n_out]; each row written once per 1-token matmul
};
OwnerLog* g_owner_log = nullptr;

float recording_vec_dot_f32(int64_t n, const void* weights, const void* activations) {
    const auto row =
        static_cast<size_t>((static_cast<const uint8_t*>(weights) - g_owner_log->weights) /
                            static_cast<ptrdiff_t>(g_owner_log->row_bytes));
    g_owner_log->owner[row] = std::this_thread::get_id();
    return ref_kernels()[T::F32].vec_dot(n, weights, activations);
}

TEST(MatmulChunks, EachSixteenOutputChunkHasOneThread) {
    KernelTable table = ref_kernels();
    table[T::F32].vec_dot = recording_vec_dot_f32;
    constexpr int64_t kNIn = 8, kNOut = 16 * 12 + 5;
    const Matrix m = make_matrix(T::F32, kNIn, kNOut, 51);
    const std::vector<float> x = random_normal(kNIn, 52);
    ThreadPool pool(3);
    MatmulScratch scratch;
    OwnerLog log{.weights = m.bytes.data(), .row_bytes = m.w.row_bytes, .owner = {}};
    g_owner_log = &log;
    for (int round = 0; round < 50; ++round) {
        log.owner.assign(kNOut, std::thread::id());
        std::vector<float> y(kNOut);
        matmul(table, m.w, x.data(), 1, y.data(), scratch, pool);
        for (int64_t o = 0; o < kNOut; ++o) {
            ASSERT_NE(log.owner[static_cast<size_t>(o)], std::thread::id()) << "row " << o;
            ASSERT_EQ(log.owner[static_cast<size_t>(o)],
                      log.owner[static_cast<size_t>(o / 16 * 16)])
                << "row " << o << " and the start of its 16-output chunk, round " << round;
        }
    }
    g_owner_log = nullptr;
}

}  // namespace
}  // namespace glmserve::kernels
