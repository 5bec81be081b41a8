// Passive outlier detection: ejects a replica from load balancing after a run of consecutive
// failures seen on real traffic, for a time that grows with each ejection (issue #6; after
// Envoy's outlier detection).
//
// Per replica two runs are counted: consecutive 5xx answers, and consecutive gateway errors
// (connect errors and timeouts). A success ends both runs; a failure of one kind leaves the
// other run as it is. When a run reaches its threshold the replica is ejected for
//   min(base_ejection * multiplier, max_ejection),
// where the multiplier is 1 on the first ejection and grows by one with each further one. The
// multiplier shrinks by one for each full max_ejection the replica then spends without being
// ejected, so a replica that failed once last week is not punished for it today.
//
// At most max_ejected_fraction of the replicas (rounded down, but at least one) are ejected at
// once, and never all of them: with one replica nothing is ever ejected, because sending to a
// doubtful replica beats refusing every request. A replica whose run reaches the threshold
// while no ejection is allowed keeps its run, and is ejected by its next failure once a slot
// frees up.
//
// Outcomes of requests that were in flight when their replica was ejected change nothing but
// the runs' reset on success: the replica is already out.
//
// Time is passed in (`now`), never read, so tests drive it explicitly.
// Thread: thread-compatible; the caller serialises all calls (the gateway's health strand).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/status.h"

namespace glmserve::gateway {

using Clock = std::chrono::steady_clock;

struct OutlierOptions {
    int consecutive_5xx = 5;                                   // >= 1
    int consecutive_gateway_errors = 3;                        // connect errors + timeouts, >= 1
    Clock::duration base_ejection = std::chrono::seconds(10);  // > 0
    Clock::duration max_ejection = std::chrono::minutes(5);    // >= base_ejection
    double max_ejected_fraction = 0.5;                         // in [0, 1]
};

// Checks each field's range; the message names the bad field.
Status validate(const OutlierOptions& options);

class OutlierDetector {
public:
    enum class Outcome { Success, Http5xx, ConnectError, Timeout };

    // `options` must pass validate() (GS_CHECK): config parsing reports bad values first.
    OutlierDetector(size_t n_upstreams, OutlierOptions options);

    // Records the outcome of one request to replica `index` (< size(), GS_CHECK). Returns true
    // when this call ejected it.
    bool record(size_t index, Outcome outcome, Clock::time_point now);

    bool ejected(size_t index, Clock::time_point now) const;
    // Times replica `index` has been ejected since it was added, for metrics.
    int ejections(size_t index) const;
    // When replica `index` comes back; only meaningful while ejected(index, now).
    Clock::time_point ejected_until(size_t index) const;
    // Replicas ejected at `now`.
    size_t ejected_count(Clock::time_point now) const;
    // How many replicas may be ejected at once.
    size_t max_ejected() const;

    size_t size() const { return upstreams_.size(); }
    // Config reload: keeps the state of replicas [0, min(old, n)), new ones start clean.
    void set_upstream_count(size_t n);

private:
    struct Upstream {
        int run_5xx = 0;
        int run_gateway_errors = 0;
        int multiplier = 0;  // of base_ejection for the next ejection, before decay
        int ejections = 0;
        bool ever_ejected = false;
        Clock::time_point ejected_until{};
    };

    // Ejects `u` when a run has reached its threshold and a slot is free.
    bool maybe_eject(Upstream& u, Clock::time_point now);

    OutlierOptions options_;
    std::vector<Upstream> upstreams_;
};

}  // namespace glmserve::gateway
