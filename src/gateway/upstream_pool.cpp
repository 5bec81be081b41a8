#include "gateway/upstream_pool.h"

#include <algorithm>

#include "gateway/decision_options.h"

namespace glmserve::gateway {
namespace {

Policy policy_of(const GatewayConfig& config) {
    const std::optional<Policy> policy = parse_policy(config.policy);
    GS_CHECK(policy.has_value());  // load_gateway_config() refuses unknown names
    return *policy;
}

BalancerOptions balancer_options(const AffinityConfig& a) {
    return {.affinity_bound = a.bound, .virtual_nodes = a.virtual_nodes, .seed = 0x6a7e3a};
}

OutlierDetector::Outcome outlier_outcome(AttemptOutcome outcome) {
    switch (outcome) {
        case AttemptOutcome::Http5xx: return OutlierDetector::Outcome::Http5xx;
        case AttemptOutcome::ConnectError: return OutlierDetector::Outcome::ConnectError;
        case AttemptOutcome::Timeout: return OutlierDetector::Outcome::Timeout;
        case AttemptOutcome::Success:
        case AttemptOutcome::NoVerdict: break;
    }
    return OutlierDetector::Outcome::Success;
}

}  // namespace

UpstreamPool::UpstreamPool(const GatewayConfig& config)
    : max_in_flight_(config.limits.max_connections_per_upstream),
      max_pending_(config.limits.max_pending_per_upstream),
      balancer_(policy_of(config), balancer_options(config.affinity)),
      outliers_(config.upstreams.size(), outlier_options(config.outlier)) {
    upstreams_.reserve(config.upstreams.size());
    for (const UpstreamConfig& u : config.upstreams) {
        upstreams_.push_back({.config = u,
                              .health = HealthState(config.health.rise, config.health.fall),
                              .breaker = CircuitBreaker(breaker_options(config.breaker)),
                              .load = std::nullopt});
    }
    balancer_.set_upstream_count(upstreams_.size());
}

bool UpstreamPool::available_locked(size_t index, Clock::time_point now) const {
    const Upstream& u = upstreams_[index];
    return u.health.routable() && !outliers_.ejected(index, now) &&
           u.breaker.state(now) != CircuitBreaker::State::Open && u.in_flight < max_in_flight_ &&
           u.pending < max_pending_;
}

std::vector<UpstreamView> UpstreamPool::views_locked(Clock::time_point now) const {
    std::vector<UpstreamView> views;
    views.reserve(upstreams_.size());
    for (size_t i = 0; i < upstreams_.size(); ++i) {
        const Upstream& u = upstreams_[i];
        views.push_back({.weight = u.config.weight,
                         .backup = u.config.backup,
                         .available = available_locked(i, now),
                         .in_flight = u.in_flight,
                         .queued_tokens = u.load ? u.load->queued_tokens : 0,
                         .kv_usage = u.load ? u.load->kv_usage : 0.0});
    }
    return views;
}

std::optional<size_t> UpstreamPool::acquire(std::string_view affinity_key,
                                            std::span<const size_t> exclude,
                                            Clock::time_point now) {
    std::lock_guard lock(mu_);
    std::vector<size_t> skipped(exclude.begin(), exclude.end());
    // Each refusal by a breaker adds one upstream to `skipped`, so this ends.
    while (true) {
        const std::vector<UpstreamView> views = views_locked(now);
        const std::optional<size_t> pick =
            balancer_.pick(views, {.affinity_key = affinity_key, .exclude = skipped});
        if (!pick) return std::nullopt;
        Upstream& u = upstreams_[*pick];
        if (u.breaker.try_acquire(now)) {
            ++u.in_flight;
            ++u.pending;
            return pick;
        }
        skipped.push_back(*pick);
    }
}

void UpstreamPool::on_first_byte(size_t index) {
    std::lock_guard lock(mu_);
    Upstream& u = upstreams_[index];
    if (u.pending > 0) --u.pending;
}

bool UpstreamPool::finish(size_t index, AttemptOutcome outcome, bool had_first_byte,
                          Clock::time_point now) {
    std::lock_guard lock(mu_);
    Upstream& u = upstreams_[index];
    GS_CHECK(u.in_flight > 0);
    --u.in_flight;
    if (!had_first_byte && u.pending > 0) --u.pending;
    switch (outcome) {
        case AttemptOutcome::Success: u.breaker.on_success(now); break;
        case AttemptOutcome::NoVerdict: u.breaker.on_cancelled(now); return false;
        case AttemptOutcome::Http5xx:
        case AttemptOutcome::ConnectError:
        case AttemptOutcome::Timeout: u.breaker.on_failure(now); break;
    }
    return outliers_.record(index, outlier_outcome(outcome), now);
}

bool UpstreamPool::any_available(std::span<const size_t> exclude, Clock::time_point now) const {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < upstreams_.size(); ++i) {
        if (std::find(exclude.begin(), exclude.end(), i) != exclude.end()) continue;
        if (upstreams_[i].config.weight > 0 && available_locked(i, now)) return true;
    }
    return false;
}

bool UpstreamPool::record_health(size_t index, bool ok) {
    std::lock_guard lock(mu_);
    return upstreams_[index].health.record(ok);
}

void UpstreamPool::record_load(size_t index, std::optional<LoadReport> load) {
    std::lock_guard lock(mu_);
    upstreams_[index].load = load;
}

std::vector<UpstreamStatus> UpstreamPool::status(Clock::time_point now) const {
    std::lock_guard lock(mu_);
    std::vector<UpstreamStatus> out;
    out.reserve(upstreams_.size());
    for (size_t i = 0; i < upstreams_.size(); ++i) {
        const Upstream& u = upstreams_[i];
        out.push_back({.name = u.config.name,
                       .url = u.config.url.to_string(),
                       .weight = u.config.weight,
                       .backup = u.config.backup,
                       .health = u.health.health(),
                       .ejected = outliers_.ejected(i, now),
                       .ejections = outliers_.ejections(i),
                       .breaker = u.breaker.state(now),
                       .breaker_opens = u.breaker.times_opened(),
                       .in_flight = u.in_flight,
                       .pending = u.pending,
                       .load = u.load,
                       .available = available_locked(i, now)});
    }
    return out;
}

void UpstreamPool::carry_over(const UpstreamPool& previous) {
    if (&previous == this) return;
    std::scoped_lock lock(mu_, previous.mu_);
    for (Upstream& u : upstreams_) {
        for (const Upstream& old : previous.upstreams_) {
            if (old.config.name == u.config.name &&
                old.config.url.to_string() == u.config.url.to_string()) {
                u.health = old.health;
                u.load = old.load;
            }
        }
    }
}

}  // namespace glmserve::gateway
