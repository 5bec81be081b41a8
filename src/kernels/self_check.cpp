// packed_kernels_mismatch(): see self_check.h.
//
// The data: one group of kPackRows rows of kN values per type, from a fixed-seed generator (the
// same on every run, so a failure reproduces), quantized by the reference table; activation rows
// in the type's vec_dot_type with the activation suffix matmul would write. kN = 512 covers two
// K-quant super-blocks and sixteen 32-element blocks.
#include "kernels/self_check.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf/tensor_type.h"

namespace glmserve::kernels {

namespace {

constexpr int64_t kN = 512;

std::vector<float> seeded_values(std::mt19937& rng, int64_t n, float sigma) {
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

// The first difference between candidate and reference for `type` ("" when none).
std::string compare_type(TensorType type, const KernelTable& candidate,
                         const KernelTable& reference, std::mt19937& rng) {
    const TypeKernels& ref = reference[type];
    const uint64_t row_bytes = gguf::row_bytes(type, kN).value();
    std::vector<uint8_t> rows(row_bytes * kPackRows);
    for (int r = 0; r < kPackRows; ++r) {
        ref.quantize_row(seeded_values(rng, kN, 0.02f * static_cast<float>(r + 1)).data(),
                         rows.data() + r * row_bytes, kN);
    }
    std::vector<uint8_t> group(ref.packed_group_bytes(kN));
    ref.pack_rows(kN, rows.data(), row_bytes, group.data());

    // Activation rows as matmul hands them over: the vec_dot_type's bytes, then the suffix.
    const uint64_t act_bytes = gguf::row_bytes(ref.vec_dot_type, kN).value();
    const uint64_t suffix_bytes = ref.act_suffix_bytes != nullptr ? ref.act_suffix_bytes(kN) : 0;
    const uint64_t stride = act_bytes + suffix_bytes;
    std::vector<uint8_t> acts(stride * kMaxActRows);
    for (int c = 0; c < kMaxActRows; ++c) {
        uint8_t* act = acts.data() + c * stride;
        reference[ref.vec_dot_type].quantize_row(seeded_values(rng, kN, 1.0f).data(), act, kN);
        if (ref.write_act_suffix != nullptr) ref.write_act_suffix(kN, act, act + act_bytes);
    }

    // The pair kernel reads two adjacent groups: this one, then the rows in reverse order.
    const uint64_t group_bytes = group.size();
    std::vector<uint8_t> reversed(rows.size());
    for (int r = 0; r < kPackRows; ++r) {
        std::memcpy(reversed.data() + r * row_bytes, rows.data() + (kPackRows - 1 - r) * row_bytes,
                    row_bytes);
    }
    group.resize(2 * group_bytes);
    ref.pack_rows(kN, reversed.data(), row_bytes, group.data() + group_bytes);

    constexpr int kRows = 2 * kPackRows;  // outputs per token: both groups
    std::vector<float> want(kRows * kMaxActRows), got(want.size());
    for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
        for (int g = 0; g < 2; ++g) {
            ref.vec_dot_packed(kN, group.data() + g * group_bytes, acts.data(), stride, n_act,
                               want.data() + g * kPackRows, kRows);
        }
        if (candidate[type].vec_dot_packed_pair != nullptr) {
            candidate[type].vec_dot_packed_pair(kN, group.data(), acts.data(), stride, n_act,
                                                got.data(), kRows);
        } else {
            for (int g = 0; g < 2; ++g) {
                candidate[type].vec_dot_packed(kN, group.data() + g * group_bytes, acts.data(),
                                               stride, n_act, got.data() + g * kPackRows, kRows);
            }
        }
        for (int i = 0; i < n_act * kRows; ++i) {
            if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) {
                return std::string(gguf::tensor_type_name(type)) + ", n_act " +
                       std::to_string(n_act) + ": row " + std::to_string(i % kRows) + " token " +
                       std::to_string(i / kRows) + " gave " + std::to_string(got[i]) +
                       " where the reference gave " + std::to_string(want[i]);
            }
        }
    }
    return {};
}

}  // namespace

std::string packed_kernels_mismatch(const KernelTable& candidate, const KernelTable& reference) {
    std::mt19937 rng(20261201);
    for (uint32_t id = 0; id < reference.types.size(); ++id) {
        const auto type = static_cast<TensorType>(id);
        const TypeKernels& ref = reference[type];
        const TypeKernels& cand = candidate[type];
        if (ref.vec_dot_packed == nullptr || cand.vec_dot_packed == nullptr) continue;
        if (ref.pack_rows != cand.pack_rows || ref.quantize_row == nullptr) continue;
        if (reference[ref.vec_dot_type].quantize_row == nullptr) continue;
        std::string diff = compare_type(type, candidate, reference, rng);
        if (!diff.empty()) return diff;
    }
    return {};
}

}  // namespace glmserve::kernels
