// Packed block layouts of the quantized tensor types, byte for byte as stored in GGUF files
// (../shared/reference/glm-gguf.md §2.3, §2.4).
//
// Every struct has exactly the file's size and no padding (the static_asserts below are the
// contract); rows are arrays of blocks laid back to back. fp16 fields are stored as their bit
// pattern (uint16_t) and read with fp16_to_fp32. All multi-byte fields are little-endian, which
// is the host order on every target we build for (x86-64, aarch64).
// Thread: plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace glmserve::kernels {

inline constexpr int64_t kQK = 32;           // elements per legacy block
inline constexpr int64_t kQKK = 256;         // elements per K-quant super-block
inline constexpr int64_t kKScaleBytes = 12;  // packed 6-bit scales/mins of Q4_K and Q5_K

// x[j] = d * (q[j] - 8); q in low nibbles for j < 16, high nibbles for j >= 16.
struct BlockQ4_0 {
    uint16_t d;  // fp16
    uint8_t qs[kQK / 2];
};

// x[j] = d * q[j] + m; nibble order as Q4_0.
struct BlockQ4_1 {
    uint16_t d;  // fp16
    uint16_t m;  // fp16
    uint8_t qs[kQK / 2];
};

// x[j] = d * (q[j] - 16), q = nibble | (bit j of qh) << 4.
struct BlockQ5_0 {
    uint16_t d;     // fp16
    uint8_t qh[4];  // one little-endian uint32 (bytes keep the struct 2-aligned)
    uint8_t qs[kQK / 2];
};

// x[j] = d * q[j] + m, q as Q5_0.
struct BlockQ5_1 {
    uint16_t d;     // fp16
    uint16_t m;     // fp16
    uint8_t qh[4];  // one little-endian uint32
    uint8_t qs[kQK / 2];
};

// x[j] = d * qs[j].
struct BlockQ8_0 {
    uint16_t d;  // fp16
    int8_t qs[kQK];
};

// Activation format for Q4_1/Q5_1 weights: x[j] = d * qs[j]; s = d * Σ qs (fp16).
struct BlockQ8_1 {
    uint16_t d;  // fp16
    uint16_t s;  // fp16
    int8_t qs[kQK];
};

// 8 sub-blocks of 32: x = d * sc_k * q - dmin * m_k, q 4-bit, sc_k and m_k 6-bit.
struct BlockQ4_K {
    uint16_t d;     // fp16, scale of the sub-block scales
    uint16_t dmin;  // fp16, scale of the sub-block mins
    uint8_t scales[kKScaleBytes];
    uint8_t qs[kQKK / 2];
};

// As Q4_K with a fifth bit per element in qh.
struct BlockQ5_K {
    uint16_t d;     // fp16
    uint16_t dmin;  // fp16
    uint8_t scales[kKScaleBytes];
    uint8_t qh[kQKK / 8];
    uint8_t qs[kQKK / 2];
};

// 16 sub-blocks of 16: x = d * scales[g] * (q - 32), q 6-bit (4 low bits in ql, 2 in qh).
struct BlockQ6_K {
    uint8_t ql[kQKK / 2];
    uint8_t qh[kQKK / 4];
    int8_t scales[kQKK / 16];
    uint16_t d;  // fp16, stored last
};

// Activation format for K-quant weights: x = d * qs; bsums[g] = Σ qs[16g .. 16g+15].
struct BlockQ8_K {
    float d;
    int8_t qs[kQKK];
    int16_t bsums[kQKK / 16];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

static_assert(offsetof(BlockQ4_K, qs) == 16);
static_assert(offsetof(BlockQ5_K, qh) == 16 && offsetof(BlockQ5_K, qs) == 48);
static_assert(offsetof(BlockQ6_K, qh) == 128 && offsetof(BlockQ6_K, scales) == 192 &&
              offsetof(BlockQ6_K, d) == 208);
static_assert(offsetof(BlockQ8_K, qs) == 4 && offsetof(BlockQ8_K, bsums) == 260);

static_assert(std::is_trivially_copyable_v<BlockQ4_K> && std::is_standard_layout_v<BlockQ4_K>);

}  // namespace glmserve::kernels
