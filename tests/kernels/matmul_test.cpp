// matmul over the ref table: bit-identical results for 1-4 threads, agreement with a naive
// double-precision dequantize-then-dot on the unquantized activations (odd shapes: n_out not
// a multiple of the thread count, 1 and 7 tokens), F32 without conversion, embedding rows, and
// scratch reuse.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
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

}  // namespace
}  // namespace glmserve::kernels
