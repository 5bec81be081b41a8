// IEEE binary16 and bfloat16 <-> binary32 conversions in integer arithmetic.
//
// Everything here is done on bit patterns, so results do not depend on the FPU rounding mode
// or on compiler flags. Behaviour (../shared/reference/glm-gguf.md §2.2):
//   f32 -> f16: round to nearest, ties to even; overflow (|x| >= 65520) gives inf; values below
//               half the smallest subnormal (2^-25) give a signed zero; NaN stays NaN, quiet,
//               keeping the top 10 payload bits (what the F16C instruction vcvtps2ph does, so
//               later SIMD tables agree with this one bit for bit).
//   f16 -> f32: exact (subnormals are normalised); NaN payloads are kept and made quiet.
//   f32 -> bf16: NaN -> (bits >> 16) | 0x40 (forced quiet); else round to nearest even.
//   bf16 -> f32: shift left by 16.
// Thread: pure functions.
#include "kernels/float16.h"

#include <bit>

namespace glmserve::kernels {

namespace {

constexpr uint32_t kF32SignMask = 0x80000000u;
constexpr uint32_t kF32AbsMask = 0x7FFFFFFFu;
constexpr uint32_t kF32Inf = 0x7F800000u;
constexpr uint32_t kF32QuietBit = 0x00400000u;

constexpr uint16_t kF16Inf = 0x7C00u;
constexpr uint16_t kF16QuietNan = 0x7E00u;

// |x| >= 65520 (half way between 65504, the largest finite half, and 65536) rounds to inf.
constexpr uint32_t kF32HalfOverflow = 0x477FF000u;
// 2^-14: the smallest normal half.
constexpr uint32_t kF32HalfMinNormal = 0x38800000u;
// 2^-25: half the smallest subnormal half; |x| <= this rounds to zero (a tie goes to even 0).
constexpr uint32_t kF32HalfZeroLimit = 0x33000000u;
// (127 - 15) << 23: moves an f32 exponent to the f16 bias.
constexpr uint32_t kExponentRebias = 0x38000000u;

// Shifts `value` right by `shift` (1..31) bits, rounding to nearest with ties to even.
uint32_t shift_right_round_even(uint32_t value, uint32_t shift) {
    const uint32_t kept = value >> shift;
    const uint32_t rest = value & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (kept & 1u) != 0)) return kept + 1u;
    return kept;
}

}  // namespace

uint16_t fp32_to_fp16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const auto sign = static_cast<uint16_t>((bits & kF32SignMask) >> 16);
    const uint32_t abs = bits & kF32AbsMask;

    // 1. NaN: keep it a NaN, quiet, with the top 10 bits of the payload.
    if (abs > kF32Inf) {
        return static_cast<uint16_t>(sign | kF16QuietNan | ((abs >> 13) & 0x03FFu));
    }
    // 2. Too large for a half (this includes inf itself).
    if (abs >= kF32HalfOverflow) return static_cast<uint16_t>(sign | kF16Inf);
    // 3. Normal half: rebias the exponent and round the 23-bit mantissa to 10 bits. A carry out
    //    of the mantissa correctly bumps the exponent (it cannot reach inf after step 2).
    if (abs >= kF32HalfMinNormal) {
        return static_cast<uint16_t>(sign | shift_right_round_even(abs - kExponentRebias, 13));
    }
    // 4. Rounds to zero.
    if (abs <= kF32HalfZeroLimit) return sign;
    // 5. Subnormal half: value = m * 2^(e - 150) with the implicit bit in m; in units of the
    //    subnormal step 2^-24 that is m * 2^(e - 126), so shift right by 126 - e (14..24).
    //    Rounding up to 0x400 yields the smallest normal, which is the right encoding.
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x007FFFFFu) | 0x00800000u;
    return static_cast<uint16_t>(sign | shift_right_round_even(mantissa, 126u - exponent));
}

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x03FFu;

    if (exponent == 0x1Fu) {
        // inf (mantissa 0) or NaN (payload kept, quiet bit forced).
        const uint32_t nan_bits = mantissa != 0 ? kF32QuietBit : 0u;
        return std::bit_cast<float>(sign | kF32Inf | nan_bits | (mantissa << 13));
    }
    if (exponent == 0) {
        if (mantissa == 0) return std::bit_cast<float>(sign);  // signed zero
        // Subnormal: m * 2^-24. Normalise so the leading 1 sits at bit 10.
        uint32_t e32 = 127 - 14;  // f32 exponent of 2^-14 once normalised
        while ((mantissa & 0x0400u) == 0) {
            mantissa <<= 1;
            --e32;
        }
        mantissa &= 0x03FFu;
        return std::bit_cast<float>(sign | (e32 << 23) | (mantissa << 13));
    }
    return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

float bf16_to_fp32(uint16_t h) {
    return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

uint16_t fp32_to_bf16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    if ((bits & kF32AbsMask) > kF32Inf) {
        return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // NaN: force quiet
    }
    // Round to nearest even: add 0x7FFF plus the lowest kept bit, then truncate. Finite values
    // near FLT_MAX correctly round up to inf.
    return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace glmserve::kernels
