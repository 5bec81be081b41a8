// Backoff: how long the supervisor waits before restarting a child that exited or was killed.
//
// The delay for the n-th consecutive restart (n = 0 for the first) is
//     min(initial * multiplier^n, max) * (1 + jitter * u),   u uniform in [-1, 1),
// so a replica that crashes again and again is retried ever more slowly, and replicas that
// crash together (a bad model file, a full disk) do not all come back in the same instant.
// The jittered delay never exceeds `max` and is never negative. The random source is injected
// so tests pick the jitter; production seeds it once from std::random_device.
// Thread: values, no shared state (the caller owns the rng).
#pragma once

#include <chrono>
#include <random>

#include "common/status.h"

namespace glmserve::supervisor {

using Clock = std::chrono::steady_clock;

struct BackoffOptions {
    Clock::duration initial = std::chrono::milliseconds(500);
    Clock::duration max = std::chrono::seconds(30);
    double multiplier = 2.0;
    double jitter = 0.2;  // fraction of the delay, in [0, 1]
};

// InvalidArgument naming the field ("restart.multiplier") when an option is out of range.
Status validate_backoff(const BackoffOptions& options);

class Backoff {
public:
    explicit Backoff(BackoffOptions options);  // options must pass validate_backoff (GS_CHECK)

    // The delay before restart number `n_restarts_before` (0-based count of restarts that
    // already happened in the current run of failures).
    Clock::duration delay(int n_restarts_before, std::mt19937_64& rng) const;

    // The delay without jitter: the centre of delay()'s range.
    Clock::duration base_delay(int n_restarts_before) const;

private:
    BackoffOptions options_;
};

}  // namespace glmserve::supervisor
