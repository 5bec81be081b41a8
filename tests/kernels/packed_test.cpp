// Tests of the row-interleaved kernels (src/kernels/avx2/packed.cpp, packed_q4_k.cpp, the
// AVX-512 VNNI ones of src/kernels/avx512/packed_vnni.cpp and packed_pairs.cpp, and the AVX-512
// F32/F16/BF16 layouts of src/kernels/avx512/float_types.cpp): every lane of vec_dot_packed (and
// of vec_dot_packed_pair, over two groups) must equal the row-major vec_dot of the same table
// bit for bit (what keeps a model's logits the same with packed weights), for every token count,
// several row lengths, random and extreme data; packing must fill exactly packed_group_bytes (and
// move bytes only where the layout adds none); and matmul with a packed copy must equal matmul
// without one, tail rows (n_out not a multiple of 8) included, also when one activation conversion
// (with Q4_0's suffix) serves several matrices. Each runs on three tables (the float types on the
// last two): avx2; avx512_emulated, the AVX-512 sources built with SIMDe's portable intrinsics, so
// that CPUs without AVX-512 (CI's) check their arithmetic; and avx512, the real one. Every test
// skips on a CPU without the avx2 level, avx512's on one without avx512.
#include "kernels/avx2/packed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/emulated_tables.h"
#include "kernels/kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/quant_blocks.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::bytes_of_row;
using testing::quantize;
using testing::random_normal;

enum class Table { Avx2, Avx512Emulated, Avx512 };

// The unquantized types, packed one SIMD step of each row at a time (avx512/float_types.cpp).
bool is_float(T type) {
    return type == T::F32 || type == T::F16 || type == T::BF16;
}

class PackedTest : public ::testing::TestWithParam<std::tuple<Table, T>> {
protected:
    void SetUp() override {
        const CpuFeatures cpu = detect_cpu_features();
        if (!cpu.has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; the avx2 kernels cannot run";
        }
        if (std::get<0>(GetParam()) == Table::Avx512 && !cpu.has_avx512_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX-512 F+BW+VL+VNNI; the avx512_emulated "
                            "cases check the same kernels' arithmetic";
        }
    }
    T weight_type() const { return std::get<1>(GetParam()); }
    const KernelTable& table() const {
        switch (std::get<0>(GetParam())) {
            case Table::Avx2: return avx2_kernels();
            case Table::Avx512Emulated: return testing::avx512_emulated_kernels();
            case Table::Avx512: return avx512_kernels();
        }
        return avx2_kernels();
    }
};

// kPackRows rows of n values, quantized, contiguous; row r scaled by a different sigma so that
// lanes differ in magnitude.
std::vector<uint8_t> weight_rows(const KernelTable& table, T type, int64_t n, uint32_t seed) {
    std::vector<uint8_t> rows;
    for (int r = 0; r < kPackRows; ++r) {
        const std::vector<uint8_t> q =
            quantize(table, type, random_normal(n, seed + r, 0.05f * static_cast<float>(r + 1)));
        rows.insert(rows.end(), q.begin(), q.end());
    }
    return rows;
}

// n_rows activation rows in the weight type's vec_dot_type (Q8_0, Q8_K).
std::vector<uint8_t> activation_rows(const KernelTable& table, T type, int64_t n, int n_rows,
                                     uint32_t seed) {
    std::vector<uint8_t> acts;
    for (int c = 0; c < n_rows; ++c) {
        const std::vector<uint8_t> q =
            quantize(table, table[type].vec_dot_type, random_normal(n, seed + 100 * c));
        acts.insert(acts.end(), q.begin(), q.end());
    }
    return acts;
}

// The activation rows (act_bytes apart) as vec_dot_packed reads them: each followed by the
// type's activation suffix where it has one; sets `stride` to the distance between rows.
std::vector<uint8_t> with_suffix(const KernelTable& table, T type, int64_t n,
                                 const std::vector<uint8_t>& acts, uint64_t act_bytes,
                                 uint64_t& stride) {
    const TypeKernels& k = table[type];
    if (k.write_act_suffix == nullptr) {
        stride = act_bytes;
        return acts;
    }
    const uint64_t suffix_bytes = k.act_suffix_bytes(n);
    stride = act_bytes + suffix_bytes;
    const size_t n_rows = acts.size() / act_bytes;
    std::vector<uint8_t> out(n_rows * stride);
    for (size_t c = 0; c < n_rows; ++c) {
        std::memcpy(out.data() + c * stride, acts.data() + c * act_bytes, act_bytes);
        k.write_act_suffix(n, out.data() + c * stride, out.data() + c * stride + act_bytes);
    }
    return out;
}

// The pair kernel on two adjacent groups: `rows` packed, then the same rows in reverse order
// (so that the two halves of a vector hold different rows), every (row, token) against vec_dot
// bit for bit, nothing written outside the 16 rows × n_act tokens.
void expect_pair_matches_vec_dot(const KernelTable& table, T type, int64_t n,
                                 const std::vector<uint8_t>& rows,
                                 const std::vector<uint8_t>& acts) {
    const uint64_t row_bytes = bytes_of_row(type, n);
    const uint64_t act_bytes = bytes_of_row(table[type].vec_dot_type, n);
    const uint64_t group_bytes = table[type].packed_group_bytes(n);
    std::vector<uint8_t> reversed(rows.size());
    for (int r = 0; r < kPackRows; ++r) {
        std::memcpy(reversed.data() + r * row_bytes, rows.data() + (kPackRows - 1 - r) * row_bytes,
                    row_bytes);
    }
    std::vector<uint8_t> groups(2 * group_bytes);
    table[type].pack_rows(n, rows.data(), row_bytes, groups.data());
    table[type].pack_rows(n, reversed.data(), row_bytes, groups.data() + group_bytes);
    uint64_t stride = 0;
    const std::vector<uint8_t> packed_acts = with_suffix(table, type, n, acts, act_bytes, stride);
    for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
        constexpr size_t kStride = 2 * kPackRows + 3;
        std::vector<float> out(kStride * kMaxActRows, -7.0f);
        table[type].vec_dot_packed_pair(n, groups.data(), packed_acts.data(), stride, n_act,
                                        out.data(), kStride);
        for (int c = 0; c < kMaxActRows; ++c) {
            for (size_t r = 0; r < kStride; ++r) {
                const float got = out[c * kStride + r];
                if (c >= n_act || r >= static_cast<size_t>(2 * kPackRows)) {
                    EXPECT_EQ(got, -7.0f) << "pair wrote outside row " << r << " token " << c;
                    continue;
                }
                const size_t row = r < kPackRows ? r : 2 * kPackRows - 1 - r;
                const float want = table[type].vec_dot(n, rows.data() + row * row_bytes,
                                                       acts.data() + c * act_bytes);
                EXPECT_EQ(std::memcmp(&got, &want, sizeof(float)), 0)
                    << "pair: n " << n << " n_act " << n_act << " row " << r << " token " << c
                    << ": " << got << " vs " << want;
            }
        }
    }
}

// Every (row, token) of one group against vec_dot, bit for bit, for 1..kMaxActRows tokens.
void expect_group_matches_vec_dot(const KernelTable& table, T type, int64_t n,
                                  const std::vector<uint8_t>& rows,
                                  const std::vector<uint8_t>& acts) {
    const uint64_t row_bytes = bytes_of_row(type, n);
    const uint64_t act_bytes = bytes_of_row(table[type].vec_dot_type, n);
    const uint64_t group_bytes = table[type].packed_group_bytes(n);
    ASSERT_GE(group_bytes, rows.size());
    // One byte past the group, to catch a write beyond packed_group_bytes.
    std::vector<uint8_t> group(group_bytes + 1, 0xAB), other_fill(group_bytes + 1, 0x54);
    table[type].pack_rows(n, rows.data(), row_bytes, group.data());
    table[type].pack_rows(n, rows.data(), row_bytes, other_fill.data());
    EXPECT_EQ(group.back(), 0xAB) << "wrote past packed_group_bytes";
    // Every byte of the group is written (what was there before does not show through).
    EXPECT_EQ(std::memcmp(group.data(), other_fill.data(), group_bytes), 0);
    group.pop_back();
    if (type == T::Q8_0 || type == T::Q4_0 || type == T::Q4_1 || is_float(type)) {
        // These layouts move whole bytes only: the same multiset of bytes.
        std::vector<uint8_t> sorted_rows = rows, sorted_group = group;
        std::sort(sorted_rows.begin(), sorted_rows.end());
        std::sort(sorted_group.begin(), sorted_group.end());
        EXPECT_EQ(sorted_rows, sorted_group);
    }

    uint64_t packed_act_stride = 0;
    const std::vector<uint8_t> packed_acts =
        with_suffix(table, type, n, acts, act_bytes, packed_act_stride);
    for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
        constexpr size_t kStride = kPackRows + 3;  // out rows wider than a group
        std::vector<float> out(kStride * kMaxActRows + 1, -7.0f);
        table[type].vec_dot_packed(n, group.data(), packed_acts.data(), packed_act_stride, n_act,
                                   out.data(), kStride);
        for (int c = 0; c < kMaxActRows; ++c) {
            for (size_t r = 0; r < kStride; ++r) {
                const float got = out[c * kStride + r];
                if (c >= n_act || r >= static_cast<size_t>(kPackRows)) {
                    EXPECT_EQ(got, -7.0f) << "wrote outside row " << r << " token " << c;
                    continue;
                }
                const float want = table[type].vec_dot(n, rows.data() + r * row_bytes,
                                                       acts.data() + c * act_bytes);
                EXPECT_EQ(std::memcmp(&got, &want, sizeof(float)), 0)
                    << "n " << n << " n_act " << n_act << " row " << r << " token " << c << ": "
                    << got << " vs " << want;
            }
        }
    }
    if (table[type].vec_dot_packed_pair != nullptr)
        expect_pair_matches_vec_dot(table, type, n, rows, acts);
}

TEST_P(PackedTest, EveryLaneEqualsVecDotBitForBit) {
    const T type = weight_type();
    ASSERT_NE(table()[type].pack_rows, nullptr);
    ASSERT_NE(table()[type].vec_dot_packed, nullptr);
    const int64_t block = testing::block_size_of(type);
    std::vector<int64_t> lengths = {block, 2 * block, 3 * block, 5 * block, 7 * block, 4096};
    if (is_float(type)) {
        // Around the 16- and 32-element steps (BF16 pairs), and a last partial step.
        lengths.insert(lengths.end(), {15, 16, 17, 31, 32, 33, 48, 100, 4099});
    }
    for (const int64_t n : lengths) {
        expect_group_matches_vec_dot(table(), type, n, weight_rows(table(), type, n, 7),
                                     activation_rows(table(), type, n, kMaxActRows, 9));
    }
}

// Random bit patterns of a float type's elements, every sign, exponent (subnormals included)
// and mantissa, except that an all-ones exponent (inf, NaN) loses its top bit.
std::vector<uint8_t> random_finite_floats(T type, int64_t n, std::mt19937& rng) {
    std::vector<uint8_t> bytes(bytes_of_row(type, n));
    const auto fill = [&]<typename Bits>(Bits exponent_mask) {
        for (size_t off = 0; off < bytes.size(); off += sizeof(Bits)) {
            auto bits = static_cast<Bits>(rng());
            if ((bits & exponent_mask) == exponent_mask)
                bits ^= exponent_mask & (exponent_mask - 1);
            std::memcpy(bytes.data() + off, &bits, sizeof(bits));
        }
    };
    switch (type) {
        case T::F32: fill(uint32_t{0x7F800000}); break;
        case T::F16: fill(uint16_t{0x7C00}); break;
        default: fill(uint16_t{0x7F80}); break;  // BF16
    }
    return bytes;
}

// Bytes of one block (K-quants: super-block) of `type`.
size_t block_bytes_of(T type) {
    return bytes_of_row(type, testing::block_size_of(type));
}

// Sets the fp16 fields of every block of `rows` (d; Q4_1, Q5_1, Q4_K, Q5_K: d and m or dmin, at
// the start; Q6_K: d, at the end) to make_half().
template <class MakeHalf>
void set_block_scales(std::vector<uint8_t>& rows, T type, MakeHalf make_half) {
    const size_t block_bytes = block_bytes_of(type);
    const int n_fields =
        type == T::Q6_K || type == T::Q8_0 || type == T::Q4_0 || type == T::Q5_0 ? 1 : 2;
    const size_t first = type == T::Q6_K ? offsetof(BlockQ6_K, d) : 0;
    for (size_t off = 0; off < rows.size(); off += block_bytes) {
        for (int h = 0; h < n_fields; ++h) {
            const uint16_t half = make_half();
            std::memcpy(rows.data() + off + first + 2 * h, &half, sizeof(half));
        }
    }
}

// Raw random bytes: every quant value (Q8_0's -128 included) and wild fp16 scales, with
// activations at the ends of their range.
TEST_P(PackedTest, RandomBytesAndExtremeActivations) {
    const T type = weight_type();
    const int64_t n = 512;
    // The block scales are kept finite and moderate (random fp16 bits include inf/NaN, which
    // compare unequal to themselves); the rest, quants and K-quant scale bytes included, fully
    // random.
    std::mt19937 rng(5);
    std::vector<uint8_t> rows(bytes_of_row(type, n) * kPackRows);
    if (is_float(type)) {
        rows = random_finite_floats(type, n * kPackRows, rng);
    } else {
        for (uint8_t& b : rows) b = static_cast<uint8_t>(rng());
        set_block_scales(rows, type,
                         [&rng] { return static_cast<uint16_t>(0x2000 + rng() % 0x2000); });
    }
    std::vector<float> big(n);
    for (int64_t i = 0; i < n; ++i)
        big[i] = (i % 3 == 0) ? -1000.0f : 999.0f - static_cast<float>(i);
    const T act_type = table()[type].vec_dot_type;
    std::vector<uint8_t> acts = quantize(table(), act_type, big);
    for (int c = 1; c < kMaxActRows; ++c) {
        const std::vector<uint8_t> more = quantize(table(), act_type, random_normal(n, 40 + c));
        acts.insert(acts.end(), more.begin(), more.end());
    }
    expect_group_matches_vec_dot(table(), type, n, rows, acts);
}

// The largest int sums a lane can hold: every quant at an end of its range (even rows the
// largest raw value, odd rows the smallest; Q8_0: -128 and 127), scales 1, and activations of
// ±127 in sign patterns that line up with the kernels' int16 pairs (all +, all -, by half
// block, by pair). The nibble kernels add a whole block's products in int16 (Q4_0) or each
// half's (Q5_0) before widening, Q6_K two chunks' (8 products of up to 63·127); an overflow
// there would be off by multiples of 65536, so each lane must equal the ref kernels' dot as
// well as the row-major one.
TEST_P(PackedTest, LargestIntSumsStayExact) {
    const T type = weight_type();
    if (is_float(type)) GTEST_SKIP() << "no integer sums in the float kernels";
    const int64_t n = 256;
    const uint64_t row_bytes = bytes_of_row(type, n);
    std::vector<uint8_t> rows(row_bytes * kPackRows);
    for (int r = 0; r < kPackRows; ++r) {
        const bool high = r % 2 == 0;
        const uint8_t quant_byte = type == T::Q8_0 ? (high ? 0x7F : 0x80) : (high ? 0xFF : 0x00);
        std::memset(rows.data() + r * row_bytes, quant_byte, row_bytes);
    }
    set_block_scales(rows, type, [] { return uint16_t{0x3C00}; });  // 1.0
    if (type == T::Q6_K) {
        // Its int8 sub-block scales at their ends too (the memset left -1 or 0).
        for (size_t off = 0; off < rows.size(); off += block_bytes_of(type)) {
            const bool high = (off / row_bytes) % 2 == 0;
            std::memset(rows.data() + off + offsetof(BlockQ6_K, scales), high ? 0x7F : 0x80,
                        sizeof(BlockQ6_K::scales));
        }
    }
    const std::array<std::function<float(int64_t)>, kMaxActRows> patterns = {
        [](int64_t) { return 127.0f; },
        [](int64_t) { return -127.0f; },
        [](int64_t i) { return i % 32 < 16 ? 127.0f : -127.0f; },
        [](int64_t i) { return (i / 2) % 2 == 0 ? 127.0f : -127.0f; },
    };
    const T act_type = table()[type].vec_dot_type;
    const uint64_t act_bytes = bytes_of_row(act_type, n);
    std::vector<uint8_t> acts;
    for (const auto& pattern : patterns) {
        std::vector<float> x(n);
        for (int64_t i = 0; i < n; ++i) x[i] = pattern(i);
        const std::vector<uint8_t> q = quantize(table(), act_type, x);
        acts.insert(acts.end(), q.begin(), q.end());
    }
    expect_group_matches_vec_dot(table(), type, n, rows, acts);
    for (int r = 0; r < kPackRows; ++r) {
        for (int c = 0; c < kMaxActRows; ++c) {
            const float got =
                table()[type].vec_dot(n, rows.data() + r * row_bytes, acts.data() + c * act_bytes);
            const float want = ref_kernels()[type].vec_dot(n, rows.data() + r * row_bytes,
                                                           acts.data() + c * act_bytes);
            EXPECT_NEAR(got, want, 1e-5 * std::fabs(want) + 1e-3) << "row " << r << " token " << c;
        }
    }
}

// matmul with a packed copy equals matmul without one, for n_out with and without tail rows
// and every token count up to two tiles and a half.
TEST_P(PackedTest, MatmulWithPackedWeightsEqualsRowMajor) {
    const T type = weight_type();
    ThreadPool pool(2);
    MatmulScratch scratch;
    // Floats: several 16-element steps and a partial one.
    const int64_t n_in = is_float(type) ? 83 : 3 * testing::block_size_of(type);
    for (const int64_t n_out : {8, 21, 48}) {
        std::vector<uint8_t> data;
        for (int64_t o = 0; o < n_out; ++o) {
            const std::vector<uint8_t> q = quantize(table(), type, random_normal(n_in, 300 + o));
            data.insert(data.end(), q.begin(), q.end());
        }
        WeightMatrix plain{.type = type,
                           .data = data.data(),
                           .n_in = n_in,
                           .n_out = n_out,
                           .row_bytes = bytes_of_row(type, n_in)};
        WeightMatrix packed = plain;
        PackedWeights store;
        ASSERT_TRUE(store.pack(table(), packed));
        EXPECT_EQ(store.bytes(), table()[type].packed_group_bytes(n_in) *
                                     static_cast<uint64_t>(n_out / kPackRows));
        for (const int64_t n_tokens : {1, 2, 3, 5, 10}) {
            const std::vector<float> x = random_normal(n_in * n_tokens, 77);
            std::vector<float> y_plain(n_out * n_tokens), y_packed(n_out * n_tokens, 1.0f);
            matmul(table(), plain, x.data(), n_tokens, y_plain.data(), scratch, pool);
            matmul(table(), packed, x.data(), n_tokens, y_packed.data(), scratch, pool);
            EXPECT_EQ(std::memcmp(y_plain.data(), y_packed.data(), y_plain.size() * 4), 0)
                << "n_out " << n_out << " n_tokens " << n_tokens;
        }
    }
}

// A table without packed kernels (ref) ignores a packed copy made for another table.
TEST_P(PackedTest, OtherTablesIgnoreThePackedCopy) {
    const T type = weight_type();
    const int64_t n_in = 2 * testing::block_size_of(type), n_out = 16;
    std::vector<uint8_t> data;
    for (int64_t o = 0; o < n_out; ++o) {
        const std::vector<uint8_t> q = quantize(table(), type, random_normal(n_in, 500 + o));
        data.insert(data.end(), q.begin(), q.end());
    }
    WeightMatrix w{.type = type,
                   .data = data.data(),
                   .n_in = n_in,
                   .n_out = n_out,
                   .row_bytes = bytes_of_row(type, n_in)};
    WeightMatrix plain = w;
    PackedWeights store;
    ASSERT_TRUE(store.pack(table(), w));
    EXPECT_FALSE(store.pack(ref_kernels(), plain));  // ref has no packed layout
    ThreadPool pool(1);
    MatmulScratch scratch;
    const std::vector<float> x = random_normal(n_in * 3, 8);
    std::vector<float> y_ref(n_out * 3), y_ref_packed(n_out * 3);
    matmul(ref_kernels(), plain, x.data(), 3, y_ref.data(), scratch, pool);
    matmul(ref_kernels(), w, x.data(), 3, y_ref_packed.data(), scratch, pool);
    EXPECT_EQ(y_ref, y_ref_packed);
}

// matmul_many where one Q8_0 conversion serves a packed Q4_0 and a packed Q5_0 (whose rows then
// carry their shared activation suffix), a packed Q8_0 and a row-major Q4_0 (which read past the
// suffix by the row stride): each equals its own matmul on a row-major copy, bit for bit.
TEST(Avx2PackedMany, SuffixedActivationsServeEveryJob) {
    if (!detect_cpu_features().has_avx2_level()) GTEST_SKIP() << "no avx2 level on this CPU";
    const KernelTable& table = avx2_kernels();
    ASSERT_NE(table[T::Q4_0].write_act_suffix, nullptr);
    const int64_t n_in = 5 * 32;
    struct Case {
        T type;
        int64_t n_out;
        bool pack;
    };
    const Case cases[] = {
        {T::Q4_0, 21, true}, {T::Q5_0, 16, true}, {T::Q8_0, 16, true}, {T::Q4_0, 9, false}};
    std::vector<std::vector<uint8_t>> data;
    std::vector<WeightMatrix> plain, used;
    PackedWeights store;
    for (const Case& c : cases) {
        data.emplace_back();
        for (int64_t o = 0; o < c.n_out; ++o) {
            const std::vector<uint8_t> q =
                quantize(table, c.type, random_normal(n_in, 600 + static_cast<uint32_t>(o)));
            data.back().insert(data.back().end(), q.begin(), q.end());
        }
        plain.push_back(WeightMatrix{.type = c.type,
                                     .data = data.back().data(),
                                     .n_in = n_in,
                                     .n_out = c.n_out,
                                     .row_bytes = bytes_of_row(c.type, n_in)});
        used.push_back(plain.back());
        if (c.pack) {
            ASSERT_TRUE(store.pack(table, used.back()));
        }
    }
    ThreadPool pool(2);
    MatmulScratch scratch;
    for (const int64_t n_tokens : {1, 3, 6}) {
        const std::vector<float> x = random_normal(n_in * n_tokens, 91);
        std::vector<std::vector<float>> y;
        std::vector<MatmulJob> jobs;
        for (const WeightMatrix& w : used) {
            y.emplace_back(static_cast<size_t>(w.n_out * n_tokens), NAN);
            jobs.push_back(MatmulJob{.w = &w, .y = y.back().data()});
        }
        matmul_many(table, jobs, x.data(), n_tokens, scratch, pool);
        for (size_t j = 0; j < plain.size(); ++j) {
            std::vector<float> want(y[j].size());
            matmul(table, plain[j], x.data(), n_tokens, want.data(), scratch, pool);
            EXPECT_EQ(std::memcmp(want.data(), y[j].data(), want.size() * sizeof(float)), 0)
                << "job " << j << ", " << n_tokens << " tokens";
        }
    }
}

// The token counts vec_dot_packed was called with, as a bit mask, and the kernel it forwards to.
std::atomic<uint32_t> g_packed_n_act_seen{0};
VecDotPackedFn g_packed_kernel = nullptr;

void recording_vec_dot_packed(int64_t n, const void* group, const void* act, size_t act_stride,
                              int n_act, float* out, size_t out_stride) {
    g_packed_n_act_seen.fetch_or(1u << n_act);
    g_packed_kernel(n, group, act, act_stride, n_act, out, out_stride);
}

// TypeKernels::packed_tile_tokens sets how many tokens matmul hands vec_dot_packed a call: 13
// tokens go as 3+3+3+3+1 with the F16 kernels' 3 and as 4+4+4+1 with 4, the same results
// either way. On the SIMDe build of the AVX-512 table, so it runs on every CPU.
TEST(PackedTiles, PackedTileTokensSetsTheTokensPerCall) {
    KernelTable table = testing::avx512_emulated_kernels();
    TypeKernels& k = table[T::F16];
    ASSERT_EQ(k.packed_tile_tokens, 3);
    g_packed_kernel = k.vec_dot_packed;
    k.vec_dot_packed = recording_vec_dot_packed;
    const int64_t n_in = 40, n_out = 16;
    std::vector<uint8_t> data;
    for (int64_t o = 0; o < n_out; ++o) {
        const std::vector<uint8_t> q = quantize(table, T::F16, random_normal(n_in, 700 + o));
        data.insert(data.end(), q.begin(), q.end());
    }
    WeightMatrix w{.type = T::F16,
                   .data = data.data(),
                   .n_in = n_in,
                   .n_out = n_out,
                   .row_bytes = bytes_of_row(T::F16, n_in)};
    PackedWeights store;
    ASSERT_TRUE(store.pack(table, w));
    ThreadPool pool(2);
    MatmulScratch scratch;
    const std::vector<float> x = random_normal(n_in * 13, 71);
    const auto run = [&](int tile_tokens, uint32_t want_seen) {
        k.packed_tile_tokens = tile_tokens;
        g_packed_n_act_seen.store(0);
        std::vector<float> y(static_cast<size_t>(n_out * 13));
        matmul(table, w, x.data(), 13, y.data(), scratch, pool);
        EXPECT_EQ(g_packed_n_act_seen.load(), want_seen) << "packed_tile_tokens " << tile_tokens;
        return y;
    };
    const std::vector<float> threes = run(3, (1u << 3) | (1u << 1));
    const std::vector<float> fours = run(4, (1u << 4) | (1u << 1));
    EXPECT_EQ(std::memcmp(threes.data(), fours.data(), threes.size() * sizeof(float)), 0);
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Table, T>>& param) {
    const auto [table, type] = param.param;
    const char* table_name = table == Table::Avx2             ? "Avx2"
                             : table == Table::Avx512Emulated ? "Avx512Emulated"
                                                              : "Avx512";
    return std::string(table_name) + "_" + std::string(gguf::tensor_type_name(type));
}

INSTANTIATE_TEST_SUITE_P(Tables, PackedTest,
                         ::testing::Combine(::testing::Values(Table::Avx2, Table::Avx512Emulated,
                                                              Table::Avx512),
                                            ::testing::Values(T::Q8_0, T::Q4_0, T::Q5_0, T::Q4_1,
                                                              T::Q5_1, T::Q4_K, T::Q5_K, T::Q6_K)),
                         case_name);

// The float types are packed by the AVX-512 tables only.
INSTANTIATE_TEST_SUITE_P(FloatTables, PackedTest,
                         ::testing::Combine(::testing::Values(Table::Avx512Emulated, Table::Avx512),
                                            ::testing::Values(T::F32, T::F16, T::BF16)),
                         case_name);

}  // namespace
}  // namespace glmserve::kernels
