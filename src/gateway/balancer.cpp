#include "gateway/balancer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace glmserve::gateway {
namespace {

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word before the value
// is used as a ring position.
uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// FNV-1a, stable across builds and platforms (std::hash is neither), so every gateway with
// the same seed maps a prefix to the same replica.
uint64_t hash_key(std::string_view key, uint64_t seed) {
    uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (unsigned char c : key) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

uint64_t ring_position(uint64_t seed, size_t index, int virtual_node) {
    return mix64(mix64(seed ^ (static_cast<uint64_t>(index) << 32)) +
                 static_cast<uint64_t>(virtual_node));
}

}  // namespace

std::optional<Policy> parse_policy(std::string_view name) {
    for (Policy p : {Policy::RoundRobin, Policy::WeightedRoundRobin, Policy::LeastConnections,
                     Policy::PowerOfTwoChoices, Policy::PrefixAffinity}) {
        if (policy_name(p) == name) return p;
    }
    return std::nullopt;
}

std::string_view policy_name(Policy policy) {
    switch (policy) {
        case Policy::RoundRobin: return "round_robin";
        case Policy::WeightedRoundRobin: return "weighted_round_robin";
        case Policy::LeastConnections: return "least_connections";
        case Policy::PowerOfTwoChoices: return "p2c";
        case Policy::PrefixAffinity: return "prefix_affinity";
    }
    return "unknown";
}

Status validate(const BalancerOptions& options) {
    if (!(options.affinity_bound >= 0.0 && options.affinity_bound <= 100.0)) {
        return invalid_argument(fmt::format("balancer affinity_bound must be in [0, 100], got {}",
                                            options.affinity_bound));
    }
    if (options.virtual_nodes < 1 || options.virtual_nodes > 10000) {
        return invalid_argument(fmt::format("balancer virtual_nodes must be in [1, 10000], got {}",
                                            options.virtual_nodes));
    }
    if (!(options.p2c_tokens_per_request > 0.0)) {
        return invalid_argument(fmt::format("balancer p2c_tokens_per_request must be > 0, got {}",
                                            options.p2c_tokens_per_request));
    }
    if (!(options.p2c_kv_weight >= 0.0)) {
        return invalid_argument(
            fmt::format("balancer p2c_kv_weight must be >= 0, got {}", options.p2c_kv_weight));
    }
    return ok_status();
}

Balancer::Balancer(Policy policy, BalancerOptions options)
    : policy_(policy), options_(options), rng_(options.seed) {
    GS_CHECK(validate(options_).ok());
}

void Balancer::set_upstream_count(size_t n) {
    n_upstreams_ = n;
    cursor_ = 0;
    wrr_current_.assign(n, 0);
    ring_.clear();
    if (policy_ != Policy::PrefixAffinity) return;
    ring_.reserve(n * static_cast<size_t>(options_.virtual_nodes));
    for (size_t i = 0; i < n; ++i) {
        for (int v = 0; v < options_.virtual_nodes; ++v) {
            ring_.push_back({.hash = ring_position(options_.seed, i, v), .index = i});
        }
    }
    std::sort(ring_.begin(), ring_.end(), [](const RingPoint& a, const RingPoint& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.index < b.index;
    });
}

std::optional<size_t> Balancer::pick(std::span<const UpstreamView> upstreams,
                                     const PickRequest& req) {
    if (upstreams.size() != n_upstreams_) set_upstream_count(upstreams.size());
    collect_candidates(upstreams, req);
    if (candidates_.empty()) return std::nullopt;
    if (candidates_.size() == 1) {
        // Keeps the rotations moving as if the pick had gone through the policy.
        if (policy_ == Policy::RoundRobin) cursor_ = candidates_[0] + 1;
        return candidates_[0];
    }
    switch (policy_) {
        case Policy::RoundRobin: return pick_round_robin();
        case Policy::WeightedRoundRobin: return pick_weighted_round_robin(upstreams);
        case Policy::LeastConnections: return pick_least_connections(upstreams);
        case Policy::PowerOfTwoChoices: return pick_power_of_two(upstreams);
        case Policy::PrefixAffinity:
            if (req.affinity_key.empty()) return pick_least_connections(upstreams);
            return pick_prefix_affinity(upstreams, req.affinity_key);
    }
    return std::nullopt;
}

double Balancer::load_score(const UpstreamView& u) const {
    const double load = static_cast<double>(u.in_flight) +
                        static_cast<double>(u.queued_tokens) / options_.p2c_tokens_per_request +
                        u.kv_usage * options_.p2c_kv_weight;
    return load / static_cast<double>(std::max(1, u.weight));
}

void Balancer::collect_candidates(std::span<const UpstreamView> upstreams, const PickRequest& req) {
    is_candidate_.assign(upstreams.size(), 0);
    auto eligible = [&](size_t i) {
        const UpstreamView& u = upstreams[i];
        if (!u.available || u.weight <= 0) return false;
        return std::find(req.exclude.begin(), req.exclude.end(), i) == req.exclude.end();
    };
    candidates_.clear();
    for (bool backup : {false, true}) {
        for (size_t i = 0; i < upstreams.size(); ++i) {
            if (upstreams[i].backup == backup && eligible(i)) candidates_.push_back(i);
        }
        if (!candidates_.empty()) break;
    }
    for (size_t i : candidates_) is_candidate_[i] = 1;
}

bool Balancer::is_candidate(size_t index) const {
    return index < is_candidate_.size() && is_candidate_[index] != 0;
}

size_t Balancer::pick_round_robin() {
    // The first candidate at or after the cursor, wrapping round.
    auto it = std::lower_bound(candidates_.begin(), candidates_.end(), cursor_);
    const size_t chosen = it != candidates_.end() ? *it : candidates_.front();
    cursor_ = chosen + 1;
    return chosen;
}

size_t Balancer::pick_weighted_round_robin(std::span<const UpstreamView> upstreams) {
    // nginx's smooth WRR: every candidate gains its weight, the richest is chosen and pays the
    // total back. Replicas that are not candidates keep their balance for when they return.
    int64_t total = 0;
    size_t best = candidates_.front();
    for (size_t i : candidates_) {
        const int64_t w = upstreams[i].weight;
        wrr_current_[i] += w;
        total += w;
        if (wrr_current_[i] > wrr_current_[best]) best = i;
    }
    wrr_current_[best] -= total;
    return best;
}

size_t Balancer::pick_least_connections(std::span<const UpstreamView> upstreams) {
    // in_flight / weight compared by cross-multiplying, which stays exact.
    auto less_loaded = [&](size_t a, size_t b) {
        return upstreams[a].in_flight * upstreams[b].weight <
               upstreams[b].in_flight * upstreams[a].weight;
    };
    size_t best = candidates_.front();
    for (size_t i : candidates_) {
        if (less_loaded(i, best)) best = i;
    }
    // Among the tied minimum, the first at or after the cursor, so ties take turns.
    std::optional<size_t> first_tied;
    std::optional<size_t> tied_after_cursor;
    for (size_t i : candidates_) {
        if (less_loaded(best, i)) continue;
        if (!first_tied) first_tied = i;
        if (!tied_after_cursor && i >= cursor_) tied_after_cursor = i;
    }
    const size_t chosen = tied_after_cursor ? *tied_after_cursor : *first_tied;
    cursor_ = chosen + 1;
    return chosen;
}

size_t Balancer::pick_power_of_two(std::span<const UpstreamView> upstreams) {
    const size_t k = candidates_.size();
    std::uniform_int_distribution<size_t> first(0, k - 1);
    std::uniform_int_distribution<size_t> second(0, k - 2);
    const size_t a = first(rng_);
    size_t b = second(rng_);
    if (b >= a) ++b;  // two distinct candidates, each pair equally likely
    const size_t ia = candidates_[a];
    const size_t ib = candidates_[b];
    // A tie keeps the first draw, which is itself uniformly random.
    return load_score(upstreams[ib]) < load_score(upstreams[ia]) ? ib : ia;
}

size_t Balancer::pick_prefix_affinity(std::span<const UpstreamView> upstreams,
                                      std::string_view key) {
    // Capacity after Mirrokni et al.: with this request counted, no candidate may go past
    // ceil((1 + bound) * mean). Some candidate is always at or below the mean before the
    // request, so the walk below always finds one.
    int64_t total_in_flight = 0;
    for (size_t i : candidates_) total_in_flight += upstreams[i].in_flight;
    const double mean =
        static_cast<double>(total_in_flight + 1) / static_cast<double>(candidates_.size());
    const auto capacity = static_cast<int64_t>(std::ceil((1.0 + options_.affinity_bound) * mean));

    const uint64_t h = hash_key(key, options_.seed);
    auto start = std::lower_bound(ring_.begin(), ring_.end(), h,
                                  [](const RingPoint& p, uint64_t v) { return p.hash < v; });
    const size_t start_pos = static_cast<size_t>(start - ring_.begin());
    for (size_t step = 0; step < ring_.size(); ++step) {
        const RingPoint& p = ring_[(start_pos + step) % ring_.size()];
        if (is_candidate(p.index) && upstreams[p.index].in_flight < capacity) return p.index;
    }
    // Unreachable while the ring covers every candidate; least connections is the safe answer.
    return pick_least_connections(upstreams);
}

}  // namespace glmserve::gateway
