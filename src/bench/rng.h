// SplitMix64: the bench's own seeded random source (prompts, arrival gaps).
//
// std:: distributions differ between standard libraries, so a seed would not give the same run
// everywhere; this generator and the transforms below are fully specified here. SplitMix64 is
// Steele, Lea and Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014).
// Thread: a value; each user owns its own instance.
#pragma once

#include <cmath>
#include <cstdint>

namespace glmserve::bench {

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next_u64() {
        state_ += 0x9e3779b97f4a7c15ULL;
        uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1): the top 53 bits scaled by 2^-53.
    double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

    // Uniform integer in [lo, hi] (inclusive). Modulo bias is below 2^-40 for the spans used
    // here (lengths and indices far below 2^24), which a benchmark does not notice.
    int64_t uniform_int(int64_t lo, int64_t hi) {
        if (hi <= lo) return lo;
        const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
        return lo + static_cast<int64_t>(next_u64() % span);
    }

    // Exponential with the given rate (mean 1/rate), by inverse CDF: -ln(1 - u) / rate with
    // u in [0, 1), so the logarithm's argument is in (0, 1] and never zero.
    double exponential(double rate) { return -std::log1p(-next_unit()) / rate; }

private:
    uint64_t state_;
};

}  // namespace glmserve::bench
