// UpstreamPool: the live state of one configuration's upstreams and every routing decision
// about them: which one takes the next attempt (policy via Balancer), whether it may
// (health verdict, outlier ejection, circuit breaker, per-upstream connection and pending
// limits), and what each finished attempt teaches (breaker and outlier detector).
//
// An upstream is available when its health is not Unhealthy, it is not ejected, its breaker
// is not Open, and it has fewer than max_connections_per_upstream requests in flight and fewer
// than max_pending_per_upstream still waiting for their first byte. acquire() asks the
// balancer among the available ones; a half-open breaker that has no probe slot left refuses
// and the balancer is asked again without that upstream. Every successful acquire() must be
// settled by exactly one finish().
//
// Design simplification: ARCHITECTURE.md puts these state machines on one strand; here they
// sit behind one mutex instead. Every call is O(upstreams) arithmetic with no I/O under the
// lock, so contention stays far below the cost of the proxied request.
// Thread: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/balancer.h"
#include "gateway/circuit_breaker.h"
#include "gateway/gateway_config.h"
#include "gateway/health_state.h"
#include "gateway/load_report.h"
#include "gateway/outlier_detector.h"

namespace glmserve::gateway {

// How one attempt on an upstream ended, as the breaker and outlier detector count it.
enum class AttemptOutcome {
    Success,       // any answer that says the upstream works (2xx-4xx)
    Http5xx,       // a 5xx answer
    ConnectError,  // could not connect, or it closed before answering / mid-response
    Timeout,       // connect, first-byte, between-chunk or total timeout
    NoVerdict,     // the client left or the attempt was abandoned: says nothing
};

// One upstream as the status page and /metrics show it.
struct UpstreamStatus {
    std::string name;
    std::string url;
    int weight = 1;
    bool backup = false;
    Health health = Health::Unknown;
    bool ejected = false;
    int ejections = 0;
    CircuitBreaker::State breaker = CircuitBreaker::State::Closed;
    int64_t breaker_opens = 0;
    int64_t in_flight = 0;
    int64_t pending = 0;  // in flight without a first byte yet
    std::optional<LoadReport> load;
    bool available = false;
};

class UpstreamPool {
public:
    // `config` must have passed load_gateway_config() (its options satisfy the decision
    // classes' GS_CHECKs).
    explicit UpstreamPool(const GatewayConfig& config);

    size_t size() const { return upstreams_.size(); }
    const UpstreamConfig& upstream(size_t index) const { return upstreams_[index].config; }

    // The upstream for one attempt, counted in flight and pending; nullopt when none is
    // available outside `exclude`.
    std::optional<size_t> acquire(std::string_view affinity_key, std::span<const size_t> exclude,
                                  Clock::time_point now);
    // The attempt's first response byte arrived (it is no longer pending).
    void on_first_byte(size_t index);
    // Settles an acquire(); returns true when this outcome ejected the upstream.
    bool finish(size_t index, AttemptOutcome outcome, bool had_first_byte, Clock::time_point now);

    // Is some upstream outside `exclude` available (a 429 is retried only then)?
    bool any_available(std::span<const size_t> exclude, Clock::time_point now) const;

    // An active health check's result; true when the verdict changed.
    bool record_health(size_t index, bool ok);
    // The latest /v1/status report (nullopt: the upstream does not report load).
    void record_load(size_t index, std::optional<LoadReport> load);

    std::vector<UpstreamStatus> status(Clock::time_point now) const;

    // Config reload: upstreams of `previous` with the same name and URL keep their health
    // verdict and load report, so a reload does not send traffic to a replica known to be down.
    void carry_over(const UpstreamPool& previous);

private:
    struct Upstream {
        UpstreamConfig config;
        HealthState health;
        CircuitBreaker breaker;
        std::optional<LoadReport> load;
        int64_t in_flight = 0;
        int64_t pending = 0;
    };

    bool available_locked(size_t index, Clock::time_point now) const;
    std::vector<UpstreamView> views_locked(Clock::time_point now) const;

    const int max_in_flight_;
    const int max_pending_;
    mutable std::mutex mu_;
    std::vector<Upstream> upstreams_;  // the vector's size is fixed; elements guarded by mu_
    Balancer balancer_;                // guarded by mu_
    OutlierDetector outliers_;         // guarded by mu_
};

}  // namespace glmserve::gateway
