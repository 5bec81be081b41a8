// Balancer: picks the replica for one request from a snapshot of the replicas' state, by one of
// the issue #6 policies.
//
//   round_robin           cycles through the candidates in index order.
//   weighted_round_robin  nginx's smooth weighted round-robin: over any run of sum(weights)
//                         picks each replica gets exactly its weight, spread out rather than
//                         in bursts (weights 5,1,1 give a a b a c a a).
//   least_connections     fewest in-flight requests per unit of weight; ties rotate.
//   p2c                   power of two choices (Mitzenmacher 2001): two distinct candidates at
//                         random, the less loaded one wins. Load is in-flight requests plus the
//                         replica's own queue (queued tokens) and KV-cache usage when it is a
//                         glmserve replica that reports them, divided by weight.
//   prefix_affinity       consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam
//                         2016): the affinity key (the prompt's first characters) hashes onto a
//                         ring of virtual nodes, so requests sharing a prefix land on the replica
//                         that already has that prefix in its KV cache; a replica already at
//                         ceil((1 + affinity_bound) * mean load) is passed over for the next one
//                         on the ring. Requests without a key go by least connections.
//
// Candidates are the replicas that are available (healthy, not ejected, breaker admitting, the
// caller decides), have a weight above 0 (0 drains a replica) and are not in the request's
// exclude list (replicas an earlier attempt already tried). Backups are candidates only when no
// primary is; with no candidate at all pick() returns nullopt.
//
// Ring points and smooth-WRR state are per replica index: set_upstream_count() rebuilds them
// on a config reload. A ring point's position depends only on (seed, index, virtual node), so
// appending a replica moves only the keys it takes over (about 1/n of them); pick() rebuilds
// by itself if the span's size differs from the count it was last given.
//
// Simplification: prefix affinity ignores weights except 0; every replica gets the same number
// of virtual nodes.
//
// Thread: thread-compatible; the caller serialises pick() and set_upstream_count().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace glmserve::gateway {

enum class Policy {
    RoundRobin,
    WeightedRoundRobin,
    LeastConnections,
    PowerOfTwoChoices,
    PrefixAffinity
};

// "round_robin", "weighted_round_robin", "least_connections", "p2c", "prefix_affinity".
std::optional<Policy> parse_policy(std::string_view name);
// The inverse of parse_policy().
std::string_view policy_name(Policy policy);

// One replica as the balancer sees it at the moment of the pick.
struct UpstreamView {
    int weight = 1;  // 0 drains the replica (never picked)
    bool backup = false;
    bool available = true;
    int64_t in_flight = 0;      // requests this gateway has outstanding there
    int64_t queued_tokens = 0;  // from the replica's /v1/status; 0 if unknown
    double kv_usage = 0.0;      // from the replica's /v1/status, 0..1; 0 if unknown
};

struct PickRequest {
    std::string_view affinity_key;    // prefix_affinity only; owned by the request
    std::span<const size_t> exclude;  // replicas already tried for this request; owned by it
};

struct BalancerOptions {
    double affinity_bound = 0.25;  // prefix_affinity: at most this far above the mean load, >= 0
    int virtual_nodes = 64;        // prefix_affinity: ring points per replica, >= 1
    uint64_t seed = 0;             // p2c's random choices and the ring's positions
    // p2c: queued tokens on a replica that weigh as much as one in-flight request.
    double p2c_tokens_per_request = 512.0;
    // p2c: a full KV cache weighs as much as this many in-flight requests.
    double p2c_kv_weight = 4.0;
};

// Checks each field's range; the message names the bad field.
Status validate(const BalancerOptions& options);

class Balancer {
public:
    // `options` must pass validate() (GS_CHECK): config parsing reports bad values first.
    Balancer(Policy policy, BalancerOptions options);

    // Index into `upstreams` of the replica to use, or nullopt when none is a candidate.
    std::optional<size_t> pick(std::span<const UpstreamView> upstreams, const PickRequest& req);

    // Rebuilds the hash ring and the smooth-WRR state for `n` replicas (config reload).
    void set_upstream_count(size_t n);

    Policy policy() const { return policy_; }

    // The p2c load score of one replica (lower is less loaded); public for tests and the
    // status page.
    double load_score(const UpstreamView& u) const;

private:
    struct RingPoint {
        uint64_t hash;
        size_t index;
    };

    // Fills candidates_ with the indices eligible for this request (see the file comment).
    void collect_candidates(std::span<const UpstreamView> upstreams, const PickRequest& req);
    size_t pick_round_robin();
    size_t pick_weighted_round_robin(std::span<const UpstreamView> upstreams);
    size_t pick_least_connections(std::span<const UpstreamView> upstreams);
    size_t pick_power_of_two(std::span<const UpstreamView> upstreams);
    size_t pick_prefix_affinity(std::span<const UpstreamView> upstreams, std::string_view key);
    bool is_candidate(size_t index) const;

    Policy policy_;
    BalancerOptions options_;
    size_t n_upstreams_ = 0;
    std::mt19937_64 rng_;
    size_t cursor_ = 0;                 // round robin, and least connections' tie rotation
    std::vector<int64_t> wrr_current_;  // smooth WRR: current weight per replica
    std::vector<RingPoint> ring_;       // sorted by hash
    std::vector<size_t> candidates_;    // scratch for one pick, ascending indices
    std::vector<char> is_candidate_;    // scratch: is_candidate_[i] for the current pick
};

}  // namespace glmserve::gateway
