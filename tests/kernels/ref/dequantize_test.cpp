// Dequantization of hand-built blocks, one test per format. Each block is written byte by byte
// from the layout in ../shared/reference/glm-gguf.md §2.3-2.4 (not with our quantizers or
// structs), and the expected values are computed here from the formulas of that section.
// Scales are powers of two and quants small integers, so every expected value is exact.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;

// Little-endian byte writer for building blocks by hand.
struct Bytes {
    std::vector<uint8_t> v;
    void u8(int b) { v.push_back(static_cast<uint8_t>(b)); }
    void u16(uint16_t x) {
        u8(x & 0xFF);
        u8(x >> 8);
    }
    void u32(uint32_t x) {
        u16(static_cast<uint16_t>(x & 0xFFFF));
        u16(static_cast<uint16_t>(x >> 16));
    }
    void f32(float f) {
        uint32_t x = 0;
        std::memcpy(&x, &f, 4);
        u32(x);
    }
};

// fp16 bit patterns of the scales used below.
constexpr uint16_t kHalf_0_125 = 0x3000;
constexpr uint16_t kHalf_0_25 = 0x3400;
constexpr uint16_t kHalf_0_5 = 0x3800;
constexpr uint16_t kHalf_1 = 0x3C00;
constexpr uint16_t kHalf_2 = 0x4000;
constexpr uint16_t kHalf_minus_1_5 = 0xBE00;

std::vector<float> run_dequantize(T type, const Bytes& b, int64_t n) {
    std::vector<float> y(static_cast<size_t>(n));
    ref_kernels()[type].dequantize_row(b.v.data(), y.data(), n);
    return y;
}

int lo(int b) {
    return b & 0x0F;
}
int hi(int b) {
    return b >> 4;
}

TEST(RefDequantize, Q8_0) {
    Bytes b;
    b.u16(kHalf_0_5);
    for (int j = 0; j < 32; ++j) b.u8(static_cast<uint8_t>(static_cast<int8_t>(4 * j - 64)));
    ASSERT_EQ(b.v.size(), sizeof(BlockQ8_0));
    const std::vector<float> y = run_dequantize(T::Q8_0, b, 32);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * static_cast<float>(4 * j - 64)) << j;
}

TEST(RefDequantize, Q8_1) {
    Bytes b;
    b.u16(kHalf_0_25);
    b.u16(0);  // s: not used by dequantize
    for (int j = 0; j < 32; ++j) b.u8(static_cast<uint8_t>(static_cast<int8_t>(3 * j - 50)));
    ASSERT_EQ(b.v.size(), sizeof(BlockQ8_1));
    const std::vector<float> y = run_dequantize(T::Q8_1, b, 32);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.25f * static_cast<float>(3 * j - 50)) << j;
}

// Two blocks so the block stride is exercised too.
TEST(RefDequantize, Q4_0) {
    Bytes b;
    std::vector<int> qs;
    for (int blk = 0; blk < 2; ++blk) {
        b.u16(blk == 0 ? kHalf_2 : kHalf_0_125);
        for (int j = 0; j < 16; ++j) {
            const int byte = (j + blk) % 16 | ((15 - j) << 4);
            b.u8(byte);
            qs.push_back(byte);
        }
    }
    ASSERT_EQ(b.v.size(), 2 * sizeof(BlockQ4_0));
    const std::vector<float> y = run_dequantize(T::Q4_0, b, 64);
    for (int blk = 0; blk < 2; ++blk) {
        const float d = blk == 0 ? 2.0f : 0.125f;
        for (int j = 0; j < 16; ++j) {
            const int byte = qs[16 * blk + j];
            EXPECT_EQ(y[32 * blk + j], d * static_cast<float>(lo(byte) - 8));       // first half
            EXPECT_EQ(y[32 * blk + j + 16], d * static_cast<float>(hi(byte) - 8));  // second half
        }
    }
}

TEST(RefDequantize, Q4_1) {
    Bytes b;
    b.u16(kHalf_0_25);
    b.u16(kHalf_minus_1_5);
    for (int j = 0; j < 16; ++j) b.u8(j | (((j * 7) & 15) << 4));
    ASSERT_EQ(b.v.size(), sizeof(BlockQ4_1));
    const std::vector<float> y = run_dequantize(T::Q4_1, b, 32);
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(y[j], 0.25f * static_cast<float>(j) - 1.5f);
        EXPECT_EQ(y[j + 16], 0.25f * static_cast<float>((j * 7) & 15) - 1.5f);
    }
}

TEST(RefDequantize, Q5_0) {
    constexpr uint32_t kQh = 0xA5C3F00Fu;
    Bytes b;
    b.u16(kHalf_1);
    b.u32(kQh);
    for (int j = 0; j < 16; ++j) b.u8(j | ((15 - j) << 4));
    ASSERT_EQ(b.v.size(), sizeof(BlockQ5_0));
    const std::vector<float> y = run_dequantize(T::Q5_0, b, 32);
    for (int j = 0; j < 16; ++j) {
        const int q0 = j | static_cast<int>(((kQh >> j) & 1) << 4);
        const int q1 = (15 - j) | static_cast<int>(((kQh >> (j + 16)) & 1) << 4);
        EXPECT_EQ(y[j], static_cast<float>(q0 - 16)) << j;
        EXPECT_EQ(y[j + 16], static_cast<float>(q1 - 16)) << j;
    }
}

TEST(RefDequantize, Q5_1) {
    constexpr uint32_t kQh = 0x12345678u;
    Bytes b;
    b.u16(kHalf_0_5);
    b.u16(kHalf_2);
    b.u32(kQh);
    for (int j = 0; j < 16; ++j) b.u8(((3 * j) & 15) | ((j ^ 9) << 4));
    ASSERT_EQ(b.v.size(), sizeof(BlockQ5_1));
    const std::vector<float> y = run_dequantize(T::Q5_1, b, 32);
    for (int j = 0; j < 16; ++j) {
        const int q0 = ((3 * j) & 15) | static_cast<int>(((kQh >> j) & 1) << 4);
        const int q1 = (j ^ 9) | static_cast<int>(((kQh >> (j + 16)) & 1) << 4);
        EXPECT_EQ(y[j], 0.5f * static_cast<float>(q0) + 2.0f) << j;
        EXPECT_EQ(y[j + 16], 0.5f * static_cast<float>(q1) + 2.0f) << j;
    }
}

// 12 scale bytes with every bit field non-trivial, decoded here with the §2.4 formulas.
constexpr uint8_t kKScales[12] = {0xC1, 0x42, 0x83, 0x3F, 0x00, 0x45,
                                  0xFC, 0x87, 0xA0, 0xF1, 0x2B, 0x9E};

void decode_k_scales_by_spec(int* sc, int* m) {
    const uint8_t* s = kKScales;
    for (int k = 0; k < 4; ++k) {
        sc[k] = s[k] & 63;
        m[k] = s[k + 4] & 63;
    }
    for (int k = 4; k < 8; ++k) {
        sc[k] = (s[k + 4] & 0x0F) | ((s[k - 4] >> 6) << 4);
        m[k] = (s[k + 4] >> 4) | ((s[k] >> 6) << 4);
    }
}

TEST(RefDequantize, KScalePackingRoundTrips) {
    int sc[8], m[8];
    decode_k_scales_by_spec(sc, m);
    uint8_t got_sc[8], got_m[8];
    ref::unpack_k_scales(kKScales, got_sc, got_m);
    for (int k = 0; k < 8; ++k) {
        EXPECT_EQ(got_sc[k], sc[k]) << k;
        EXPECT_EQ(got_m[k], m[k]) << k;
    }
    uint8_t packed[12];
    ref::pack_k_scales(got_sc, got_m, packed);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(packed[i], kKScales[i]) << i;
}

// Q4_K and Q5_K share all but the fifth bit: qh empty means Q4_K.
void check_k_quant(T type, bool with_qh) {
    Bytes b;
    b.u16(kHalf_0_5);   // d
    b.u16(kHalf_0_25);  // dmin
    for (uint8_t s : kKScales) b.u8(s);
    std::vector<int> qh(32), qs(128);
    for (int l = 0; l < 32; ++l) qh[l] = (l * 37 + 11) & 0xFF;
    for (int i = 0; i < 128; ++i) qs[i] = (i * 29 + 3) & 0xFF;
    if (with_qh) {
        for (int x : qh) b.u8(x);
    }
    for (int x : qs) b.u8(x);
    ASSERT_EQ(b.v.size(), with_qh ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
    const std::vector<float> y = run_dequantize(type, b, 256);
    int sc[8], m[8];
    decode_k_scales_by_spec(sc, m);
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            int q0 = lo(qs[32 * c + l]);
            int q1 = hi(qs[32 * c + l]);
            if (with_qh) {
                q0 += ((qh[l] >> (2 * c)) & 1) * 16;
                q1 += ((qh[l] >> (2 * c + 1)) & 1) * 16;
            }
            const int k0 = 2 * c, k1 = 2 * c + 1;
            EXPECT_EQ(y[64 * c + l],
                      0.5f * static_cast<float>(sc[k0] * q0) - 0.25f * static_cast<float>(m[k0]));
            EXPECT_EQ(y[64 * c + 32 + l],
                      0.5f * static_cast<float>(sc[k1] * q1) - 0.25f * static_cast<float>(m[k1]));
        }
    }
}

TEST(RefDequantize, Q4_K) {
    check_k_quant(T::Q4_K, false);
}
TEST(RefDequantize, Q5_K) {
    check_k_quant(T::Q5_K, true);
}

TEST(RefDequantize, Q6_K) {
    Bytes b;
    std::vector<int> ql(128), qh(64), scales(16);
    for (int i = 0; i < 128; ++i) ql[i] = (i * 7 + 1) & 0xFF;
    for (int i = 0; i < 64; ++i) qh[i] = (i * 13 + 5) & 0xFF;
    for (int g = 0; g < 16; ++g) scales[g] = g * 17 - 128;  // -128 .. 127
    for (int x : ql) b.u8(x);
    for (int x : qh) b.u8(x);
    for (int s : scales) b.u8(static_cast<uint8_t>(static_cast<int8_t>(s)));
    b.u16(kHalf_0_125);  // d is last
    ASSERT_EQ(b.v.size(), sizeof(BlockQ6_K));
    const std::vector<float> y = run_dequantize(T::Q6_K, b, 256);
    std::vector<int> q(256);
    for (int n = 0; n < 2; ++n) {
        for (int l = 0; l < 32; ++l) {
            const int h = qh[32 * n + l];
            q[128 * n + l] = lo(ql[64 * n + l]) | (((h >> 0) & 3) << 4);
            q[128 * n + 32 + l] = lo(ql[64 * n + 32 + l]) | (((h >> 2) & 3) << 4);
            q[128 * n + 64 + l] = hi(ql[64 * n + l]) | (((h >> 4) & 3) << 4);
            q[128 * n + 96 + l] = hi(ql[64 * n + 32 + l]) | (((h >> 6) & 3) << 4);
        }
    }
    for (int e = 0; e < 256; ++e) {
        EXPECT_EQ(y[e], 0.125f * static_cast<float>(scales[e / 16] * (q[e] - 32))) << e;
    }
}

TEST(RefDequantize, Q8_K) {
    Bytes b;
    b.f32(0.1f);
    for (int e = 0; e < 256; ++e) b.u8(e);  // int8 values 0..127, -128..-1
    for (int g = 0; g < 16; ++g) b.u16(0);  // bsums: not used by dequantize
    ASSERT_EQ(b.v.size(), sizeof(BlockQ8_K));
    const std::vector<float> y = run_dequantize(T::Q8_K, b, 256);
    for (int e = 0; e < 256; ++e) {
        EXPECT_EQ(y[e], 0.1f * static_cast<float>(static_cast<int8_t>(e))) << e;
    }
}

TEST(RefDequantize, FloatTypes) {
    const std::vector<uint16_t> halves = {0x3C00, 0xC000, 0x0001, 0x7BFF};
    std::vector<float> y(4);
    ref_kernels()[T::F16].dequantize_row(halves.data(), y.data(), 4);
    EXPECT_EQ(y, (std::vector<float>{1.0f, -2.0f, 5.9604645e-08f, 65504.0f}));
    const std::vector<uint16_t> bf = {0x3F80, 0x4049, 0xC080, 0x0000};
    ref_kernels()[T::BF16].dequantize_row(bf.data(), y.data(), 4);
    EXPECT_EQ(y, (std::vector<float>{1.0f, 3.140625f, -4.0f, 0.0f}));
    const std::vector<float> f = {1.5f, -0.25f, 3e10f, -7.0f};
    ref_kernels()[T::F32].dequantize_row(f.data(), y.data(), 4);
    EXPECT_EQ(y, f);
}

}  // namespace
}  // namespace glmserve::kernels
