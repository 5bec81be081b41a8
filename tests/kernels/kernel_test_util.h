// Helpers shared by the kernels tests: seeded random rows, f16 rows for attention's tile ops,
// row sizes, and quantize/dequantize round trips through a KernelTable.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gguf/tensor_type.h"
#include "kernels/float16.h"
#include "kernels/kernel_table.h"

namespace glmserve::kernels::testing {

// n values drawn from N(0, sigma) with a fixed seed (tests are reproducible).
inline std::vector<float> random_normal(int64_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

inline std::vector<uint16_t> to_f16(const std::vector<float>& x) {
    std::vector<uint16_t> h(x.size());
    for (size_t i = 0; i < x.size(); ++i) h[i] = fp32_to_fp16(x[i]);
    return h;
}

// n_rows random f16 rows of n elements, each in its own allocation (as scattered as the paged
// KV cache's blocks), as the F16Rows the tile ops take.
struct F16RowSet {
    std::vector<std::vector<uint16_t>> storage;
    std::vector<const uint16_t*> pointers;

    F16RowSet(int64_t n, int64_t n_rows, uint32_t seed) {
        for (int64_t p = 0; p < n_rows; ++p) {
            storage.push_back(to_f16(random_normal(n, seed + static_cast<uint32_t>(p))));
        }
        for (const auto& r : storage) pointers.push_back(r.data());
    }
    F16Rows tile() const {
        return F16Rows{.rows = pointers.data(), .n_rows = static_cast<int64_t>(pointers.size())};
    }
    float at(size_t p, int64_t i) const { return fp16_to_fp32(storage[p][static_cast<size_t>(i)]); }
};

inline uint64_t bytes_of_row(TensorType type, int64_t n) {
    return gguf::row_bytes(type, n).value();
}

inline int64_t block_size_of(TensorType type) {
    return gguf::tensor_type_info(type).block_size;
}

// x [n] -> bytes of `type` via the table's quantize_row.
inline std::vector<uint8_t> quantize(const KernelTable& table, TensorType type,
                                     const std::vector<float>& x) {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> q(bytes_of_row(type, n));
    table[type].quantize_row(x.data(), q.data(), n);
    return q;
}

inline std::vector<float> dequantize(const KernelTable& table, TensorType type,
                                     const std::vector<uint8_t>& q, int64_t n) {
    std::vector<float> y(static_cast<size_t>(n));
    table[type].dequantize_row(q.data(), y.data(), n);
    return y;
}

inline double rms(const std::vector<float>& v) {
    double s = 0.0;
    for (float x : v) s += static_cast<double>(x) * x;
    return std::sqrt(s / static_cast<double>(v.size()));
}

inline double rms_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(a[i]) - b[i];
        s += d * d;
    }
    return std::sqrt(s / static_cast<double>(a.size()));
}

inline double dot_double(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

}  // namespace glmserve::kernels::testing
