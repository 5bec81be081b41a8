// Weight quantizers for Q4_K, Q5_K and Q6_K (our own search; layouts per
// ../shared/reference/glm-gguf.md §2.4).
//
// Shapes: x [n] f32 -> y [n/256] super-blocks. These produce valid blocks with a small error;
// they are not bit-identical to any other tool's quantizer (none is needed: files are read,
// and tests and make-model are the only writers).
//
// Algorithm, per super-block:
//   1. Fit each sub-block on its own: x ≈ s·q − m with q on the format's integer grid
//      (Q4_K/Q5_K: q in [0, 15|31], m >= 0; Q6_K: q in [-32, 31], m = 0). Candidate grids
//      (the min-to-max range mapped onto nmax ± a few tenths of a level) each give a q
//      assignment; a least-squares refit of (s, m) on that assignment and one requantization
//      follow; the candidate with the smallest squared error wins.
//   2. Quantize the sub-block scales (and mins) against one super-block factor: d = max s / 63
//      (Q6_K: max |s| / 127), stored fp16; each 6-bit (8-bit) code is the floor or the ceiling
//      of s/d, whichever requantizes the sub-block with less error.
//   3. Requantize every element with the scale and min the decoder will actually see.
// Thread: pure functions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::ref {

namespace {

constexpr float kMaxFp16 = 65504.0f;
constexpr int kGridSteps = 5;  // candidates at nmax + k/5 levels, k in [-5, 5]
constexpr int kMaxSubBlockSize = 32;

// The integer grid of a format: q in [q_lo, q_hi], value = s·q − m.
struct Grid {
    int q_lo;
    int q_hi;
    bool with_min;  // false: m is always 0 (symmetric formats)
};

constexpr Grid kGrid4{0, 15, true};
constexpr Grid kGrid5{0, 31, true};
constexpr Grid kGrid6{-32, 31, false};

struct Fit {
    float s = 0.0f;
    float m = 0.0f;
};

// Maps x to the nearest level of `grid` for `fit` (ties round up: only the error matters
// here). Multiplies by 1/s and truncates a non-negative value, so it stays cheap without
// SSE4.1 rounding instructions. s = 0 (or a 1/s that overflows) maps everything to level 0.
class Rounder {
public:
    Rounder(Fit fit, Grid grid)
        : inv_s_(fit.s != 0.0f && std::isfinite(1.0f / fit.s) ? 1.0f / fit.s : 0.0f),
          m_(fit.m),
          lo_(static_cast<float>(grid.q_lo)),
          hi_(static_cast<float>(grid.q_hi)),
          q_lo_(grid.q_lo) {}

    int operator()(float x) const {
        const float v = std::clamp((x + m_) * inv_s_, lo_, hi_);
        return static_cast<int>(v - lo_ + 0.5f) + q_lo_;  // v - lo_ >= 0: truncation is floor
    }

private:
    float inv_s_, m_, lo_, hi_;
    int q_lo_;
};

// Σ (s·q − m − x)² over the sub-block, q requantized with `fit`.
float requant_error(const float* x, int n, Fit fit, Grid grid) {
    const Rounder round_to_grid(fit, grid);
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float v = fit.s * static_cast<float>(round_to_grid(x[i])) - fit.m;
        err += (v - x[i]) * (v - x[i]);
    }
    return err;
}

// Least-squares (s, m) for x ≈ s·q − m given q; m >= 0 when the grid has a min, else m = 0.
// Returns false when the assignment cannot determine a positive-definite fit.
bool least_squares(const float* x, const int* q, int n, Grid grid, Fit* out) {
    double sq = 0.0, sqq = 0.0, sx = 0.0, sxq = 0.0;
    for (int i = 0; i < n; ++i) {
        sq += q[i];
        sqq += static_cast<double>(q[i]) * q[i];
        sx += x[i];
        sxq += static_cast<double>(x[i]) * q[i];
    }
    double s = 0.0, m = 0.0;
    const double det = n * sqq - sq * sq;
    if (grid.with_min && det > 0.0) {
        s = (n * sxq - sq * sx) / det;
        m = (s * sq - sx) / n;  // from x ≈ s q − m
    }
    if (!grid.with_min || m < 0.0 || det <= 0.0) {
        m = 0.0;  // symmetric, or the min would have to be negative: fit s alone
        if (sqq == 0.0) return false;
        s = sxq / sqq;
    }
    if (!(s > 0.0) && grid.with_min) return false;
    *out = Fit{static_cast<float>(s), static_cast<float>(m)};
    return true;
}

// Candidate k of orientation `orient` for a sub-block with range [lo, hi] (lo <= 0) and
// largest-magnitude element signed_max: the range spread over nmax + k/10 levels. Symmetric
// grids try both orientations: signed_max on the extra negative level (-32) or on +31.
Fit candidate_grid(float lo, float hi, float signed_max, Grid grid, int orient, int k) {
    const float shift = static_cast<float>(k) / kGridSteps;
    if (grid.with_min) return Fit{(hi - lo) / (static_cast<float>(grid.q_hi) + shift), -lo};
    if (orient == 0) return Fit{signed_max / (static_cast<float>(grid.q_lo) - shift), 0.0f};
    return Fit{signed_max / (static_cast<float>(grid.q_hi) + shift), 0.0f};
}

// Step 1: the best (s, m) for one sub-block of n <= 32 elements.
Fit fit_sub_block(const float* x, int n, Grid grid) {
    float lo = 0.0f, hi = 0.0f, amax = 0.0f, signed_max = 0.0f;
    for (int i = 0; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            signed_max = x[i];
        }
    }
    Fit best{};  // s = 0: every element decodes to 0
    if (amax == 0.0f) return best;
    float best_err = requant_error(x, n, best, grid);
    int q[kMaxSubBlockSize];
    const int n_orient = grid.with_min ? 1 : 2;
    for (int orient = 0; orient < n_orient; ++orient) {
        for (int k = -kGridSteps; k <= kGridSteps; ++k) {
            // Assign q on the candidate grid, then alternate least-squares refits and
            // reassignments, keeping whichever stage has the least error.
            Fit fit = candidate_grid(lo, hi, signed_max, grid, orient, k);
            for (int pass = 0; pass <= 2; ++pass) {
                const float err = requant_error(x, n, fit, grid);
                if (err < best_err) {
                    best_err = err;
                    best = fit;
                }
                if (pass == 2) break;
                const Rounder round_to_grid(fit, grid);
                for (int i = 0; i < n; ++i) q[i] = round_to_grid(x[i]);
                if (!least_squares(x, q, n, grid, &fit)) break;
            }
        }
    }
    return best;
}

// Steps 2-3 helper: the code (floor or ceil of target/unit, within [lo, hi]) that gives the
// sub-block the least error when `apply` turns it into a Fit.
template <typename Apply>
int best_code(float target, float unit, int lo, int hi, Apply apply) {
    if (unit == 0.0f) return 0;
    const int c0 = std::clamp(static_cast<int>(std::floor(target / unit)), lo, hi);
    const int c1 = std::min(c0 + 1, hi);
    return apply(c0) <= apply(c1) ? c0 : c1;
}

// The fp16 super-block factor for sub-block values up to `max_value` over `levels` codes, as
// the decoder will read it back.
float super_factor(float max_value, float levels, uint16_t* stored) {
    *stored = fp32_to_fp16(std::min(max_value / levels, kMaxFp16));
    return fp16_to_fp32(*stored);
}

// Q4_K / Q5_K: fills d, dmin, scales and the per-element q's (0..nmax) of one super-block.
void quantize_k_superblock(const float* x, Grid grid, uint16_t* d16, uint16_t* dmin16,
                           uint8_t* packed_scales, uint8_t* q) {
    Fit fits[8];
    float max_s = 0.0f, max_m = 0.0f;
    for (int k = 0; k < 8; ++k) {
        fits[k] = fit_sub_block(x + 32 * k, 32, grid);
        max_s = std::max(max_s, fits[k].s);
        max_m = std::max(max_m, fits[k].m);
    }
    const float d = super_factor(max_s, 63.0f, d16);
    const float dmin = super_factor(max_m, 63.0f, dmin16);
    uint8_t sc[8], mn[8];
    for (int k = 0; k < 8; ++k) {
        const float* xs = x + 32 * k;
        // Choose the min code for the fitted scale, then the scale code for that min.
        const auto err_m = [&](int c) {
            return requant_error(xs, 32, Fit{fits[k].s, dmin * static_cast<float>(c)}, grid);
        };
        mn[k] = static_cast<uint8_t>(best_code(fits[k].m, dmin, 0, 63, err_m));
        const float m_eff = dmin * static_cast<float>(mn[k]);
        const auto err_s = [&](int c) {
            return requant_error(xs, 32, Fit{d * static_cast<float>(c), m_eff}, grid);
        };
        sc[k] = static_cast<uint8_t>(best_code(fits[k].s, d, 0, 63, err_s));
        const Rounder round_final(Fit{d * static_cast<float>(sc[k]), m_eff}, grid);
        for (int l = 0; l < 32; ++l) q[32 * k + l] = static_cast<uint8_t>(round_final(xs[l]));
    }
    pack_k_scales(sc, mn, packed_scales);
}

// q: [256] 4-bit values -> qs[128]: chunk c's first 32 in low nibbles, next 32 in high.
void encode_q4_k_quants(const uint8_t* q, uint8_t* qs) {
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            qs[32 * c + l] =
                static_cast<uint8_t>((q[64 * c + l] & 0x0F) | ((q[64 * c + 32 + l] & 0x0F) << 4));
        }
    }
}

}  // namespace

void quantize_row_q4_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ4_K*>(y);
    uint8_t q[kQKK];
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        BlockQ4_K& b = blocks[ib];
        quantize_k_superblock(x + ib * kQKK, kGrid4, &b.d, &b.dmin, b.scales, q);
        encode_q4_k_quants(q, b.qs);
    }
}

void quantize_row_q5_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ5_K*>(y);
    uint8_t q[kQKK];
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        BlockQ5_K& b = blocks[ib];
        quantize_k_superblock(x + ib * kQKK, kGrid5, &b.d, &b.dmin, b.scales, q);
        // Low 4 bits as Q4_K; bit 4 of element 64c + l (64c + 32 + l) is bit 2c (2c+1) of qh[l].
        encode_q4_k_quants(q, b.qs);
        for (int l = 0; l < 32; ++l) {
            uint8_t h = 0;
            for (int c = 0; c < 4; ++c) {
                h |= static_cast<uint8_t>((q[64 * c + l] >> 4) << (2 * c));
                h |= static_cast<uint8_t>((q[64 * c + 32 + l] >> 4) << (2 * c + 1));
            }
            b.qh[l] = h;
        }
    }
}

// Q6_K: 16 signed sub-block scales (int8) against d = max |s| / 127.
void quantize_row_q6_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ6_K*>(y);
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const float* xb = x + ib * kQKK;
        BlockQ6_K& b = blocks[ib];
        // 1. Fit each 16-element sub-block on its own.
        Fit fits[16];
        float max_abs_s = 0.0f;
        for (int g = 0; g < 16; ++g) {
            fits[g] = fit_sub_block(xb + 16 * g, 16, kGrid6);
            max_abs_s = std::max(max_abs_s, std::fabs(fits[g].s));
        }
        // 2. Signed 8-bit scale codes.
        const float d = super_factor(max_abs_s, 127.0f, &b.d);
        uint8_t q[kQKK];  // 0..63 (q6 + 32)
        for (int g = 0; g < 16; ++g) {
            const float* xs = xb + 16 * g;
            const auto err = [&](int c) {
                return requant_error(xs, 16, Fit{d * static_cast<float>(c), 0.0f}, kGrid6);
            };
            const int code = best_code(fits[g].s, d, -128, 127, err);
            b.scales[g] = static_cast<int8_t>(code);
            // 3. Requantize with the decoder's scale.
            const Rounder round_final(Fit{d * static_cast<float>(code), 0.0f}, kGrid6);
            for (int l = 0; l < 16; ++l)
                q[16 * g + l] = static_cast<uint8_t>(round_final(xs[l]) + 32);
        }
        // 4. Pack: half h, l < 32: elements 128h + {0, 32, 64, 96} + l share qh[32h + l].
        for (int h = 0; h < 2; ++h) {
            const uint8_t* qq = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                b.ql[64 * h + l] =
                    static_cast<uint8_t>((qq[l] & 0x0F) | ((qq[l + 64] & 0x0F) << 4));
                b.ql[64 * h + 32 + l] =
                    static_cast<uint8_t>((qq[l + 32] & 0x0F) | ((qq[l + 96] & 0x0F) << 4));
                b.qh[32 * h + l] =
                    static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) |
                                         ((qq[l + 64] >> 4) << 4) | ((qq[l + 96] >> 4) << 6));
            }
        }
    }
}

}  // namespace glmserve::kernels::ref
