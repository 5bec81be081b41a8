#include "gateway/balancer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace glmserve::gateway {
namespace {

constexpr Policy kAllPolicies[] = {Policy::RoundRobin, Policy::WeightedRoundRobin,
                                   Policy::LeastConnections, Policy::PowerOfTwoChoices,
                                   Policy::PrefixAffinity};

std::vector<UpstreamView> replicas(size_t n) {
    return std::vector<UpstreamView>(n);
}

size_t must_pick(Balancer& b, std::span<const UpstreamView> ups, const PickRequest& req = {}) {
    std::optional<size_t> picked = b.pick(ups, req);
    EXPECT_TRUE(picked.has_value());
    return picked.value_or(ups.size());
}

std::vector<size_t> picks(Balancer& b, std::span<const UpstreamView> ups, int n) {
    std::vector<size_t> out;
    for (int i = 0; i < n; ++i) out.push_back(must_pick(b, ups));
    return out;
}

TEST(BalancerPolicy, NamesRoundTrip) {
    for (Policy p : kAllPolicies) EXPECT_EQ(parse_policy(policy_name(p)), p);
    EXPECT_EQ(parse_policy("p2c"), Policy::PowerOfTwoChoices);
    EXPECT_EQ(parse_policy("least_connections"), Policy::LeastConnections);
    EXPECT_FALSE(parse_policy("random").has_value());
    EXPECT_FALSE(parse_policy("").has_value());
    EXPECT_FALSE(parse_policy("Round_Robin").has_value());
}

TEST(RoundRobin, CyclesThroughEveryReplica) {
    Balancer b(Policy::RoundRobin, {});
    auto ups = replicas(3);
    EXPECT_EQ(picks(b, ups, 7), (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RoundRobin, SkipsUnavailableReplicasAndResumesWhenTheyReturn) {
    Balancer b(Policy::RoundRobin, {});
    auto ups = replicas(4);
    ups[1].available = false;
    EXPECT_EQ(picks(b, ups, 4), (std::vector<size_t>{0, 2, 3, 0}));
    ups[1].available = true;
    EXPECT_EQ(picks(b, ups, 4), (std::vector<size_t>{1, 2, 3, 0}));
}

TEST(WeightedRoundRobin, SmoothSequenceInterleaves) {
    Balancer b(Policy::WeightedRoundRobin, {});
    auto ups = replicas(3);
    ups[0].weight = 5;
    // nginx's documented smooth sequence for 5,1,1, twice over.
    EXPECT_EQ(picks(b, ups, 14), (std::vector<size_t>{0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0}));
}

TEST(WeightedRoundRobin, GivesExactProportionsOverEachCycle) {
    Balancer b(Policy::WeightedRoundRobin, {});
    auto ups = replicas(4);
    const int weights[] = {3, 7, 1, 9};  // sum 20
    for (size_t i = 0; i < 4; ++i) ups[i].weight = weights[i];
    for (int cycle = 0; cycle < 5; ++cycle) {
        std::vector<int> counts(4, 0);
        size_t longest_run = 0;
        size_t run = 0;
        size_t previous = 99;
        for (size_t chosen : picks(b, ups, 20)) {
            ++counts[chosen];
            run = chosen == previous ? run + 1 : 1;
            longest_run = std::max(longest_run, run);
            previous = chosen;
        }
        for (size_t i = 0; i < 4; ++i) EXPECT_EQ(counts[i], weights[i]) << cycle << " " << i;
        // Interleaved, not in bursts: even the heaviest replica never gets 3 in a row here.
        EXPECT_LE(longest_run, 2u);
    }
}

TEST(WeightedRoundRobin, UnavailableReplicaIsSkippedAndTheRestKeepTheirShares) {
    Balancer b(Policy::WeightedRoundRobin, {});
    auto ups = replicas(3);
    ups[0].weight = 2;
    ups[1].weight = 1;
    ups[2].weight = 4;
    ups[2].available = false;
    std::vector<int> counts(3, 0);
    for (size_t chosen : picks(b, ups, 30)) ++counts[chosen];
    EXPECT_EQ(counts, (std::vector<int>{20, 10, 0}));
}

TEST(LeastConnections, PicksTheMinimum) {
    Balancer b(Policy::LeastConnections, {});
    auto ups = replicas(4);
    ups[0].in_flight = 3;
    ups[1].in_flight = 1;
    ups[2].in_flight = 2;
    ups[3].in_flight = 5;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(must_pick(b, ups), 1u);
}

TEST(LeastConnections, BreaksTiesByTakingTurns) {
    Balancer b(Policy::LeastConnections, {});
    auto ups = replicas(4);
    ups[0].in_flight = 1;
    ups[3].in_flight = 7;
    EXPECT_EQ(picks(b, ups, 6), (std::vector<size_t>{1, 2, 1, 2, 1, 2}));
    auto idle = replicas(3);
    EXPECT_EQ(picks(b, idle, 6), (std::vector<size_t>{0, 1, 2, 0, 1, 2}));
}

TEST(LeastConnections, CountsConnectionsPerUnitOfWeight) {
    Balancer b(Policy::LeastConnections, {});
    auto ups = replicas(2);
    ups[0].weight = 4;
    ups[0].in_flight = 6;  // 1.5 per unit
    ups[1].in_flight = 2;  // 2 per unit
    EXPECT_EQ(must_pick(b, ups), 0u);
}

TEST(LeastConnections, SpreadsLoadEvenlyWhenRequestsAccumulate) {
    Balancer b(Policy::LeastConnections, {});
    auto ups = replicas(5);
    for (int i = 0; i < 53; ++i) ++ups[must_pick(b, ups)].in_flight;
    for (const UpstreamView& u : ups) {
        EXPECT_GE(u.in_flight, 10);
        EXPECT_LE(u.in_flight, 11);
    }
}

TEST(PowerOfTwoChoices, NeverPicksTheMoreLoadedOfTwo) {
    Balancer b(Policy::PowerOfTwoChoices, {.seed = 7});
    auto ups = replicas(2);
    ups[0].in_flight = 4;
    ups[1].in_flight = 3;
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(must_pick(b, ups), 1u);
}

TEST(PowerOfTwoChoices, NeverPicksTheMostLoadedReplica) {
    Balancer b(Policy::PowerOfTwoChoices, {.seed = 11});
    auto ups = replicas(5);
    for (size_t i = 0; i < 5; ++i) ups[i].in_flight = static_cast<int64_t>(i);
    ups[2].in_flight = 100;
    std::vector<int> counts(5, 0);
    for (int i = 0; i < 4000; ++i) ++counts[must_pick(b, ups)];
    EXPECT_EQ(counts[2], 0);
    // The least loaded wins every draw it is in: 2 of the 5 slots' pairs, 40% of picks.
    EXPECT_NEAR(counts[0] / 4000.0, 0.4, 0.05);
    // The second most loaded (4) wins only against the most loaded (2): 10% of picks.
    EXPECT_NEAR(counts[4] / 4000.0, 0.1, 0.03);
}

TEST(PowerOfTwoChoices, PrefersFewerQueuedTokensAndLessKvUsage) {
    Balancer b(Policy::PowerOfTwoChoices, {.seed = 3});
    auto ups = replicas(2);
    ups[0].queued_tokens = 4096;  // a replica with a long prefill queue of its own
    for (int i = 0; i < 200; ++i) ASSERT_EQ(must_pick(b, ups), 1u);

    auto kv = replicas(2);
    kv[1].kv_usage = 0.9;
    for (int i = 0; i < 200; ++i) ASSERT_EQ(must_pick(b, kv), 0u);

    // Queued work counts alongside in-flight requests: 2 requests beat 1 request + 2048 tokens
    // (four requests' worth at the default 512 tokens each).
    auto mixed = replicas(2);
    mixed[0].in_flight = 2;
    mixed[1].in_flight = 1;
    mixed[1].queued_tokens = 2048;
    for (int i = 0; i < 200; ++i) ASSERT_EQ(must_pick(b, mixed), 0u);
}

TEST(PowerOfTwoChoices, EqualLoadsSpreadEvenly) {
    Balancer b(Policy::PowerOfTwoChoices, {.seed = 5});
    auto ups = replicas(4);
    std::vector<int> counts(4, 0);
    for (int i = 0; i < 8000; ++i) ++counts[must_pick(b, ups)];
    for (int c : counts) EXPECT_NEAR(c / 8000.0, 0.25, 0.03);
}

TEST(PowerOfTwoChoices, TheSeedMakesChoicesReproducible) {
    auto ups = replicas(6);
    Balancer a(Policy::PowerOfTwoChoices, {.seed = 42});
    Balancer b(Policy::PowerOfTwoChoices, {.seed = 42});
    EXPECT_EQ(picks(a, ups, 50), picks(b, ups, 50));
}

std::vector<size_t> map_keys(Balancer& b, std::span<const UpstreamView> ups, int n_keys) {
    std::vector<size_t> out;
    for (int k = 0; k < n_keys; ++k) {
        const std::string key = "prompt prefix " + std::to_string(k);
        out.push_back(must_pick(b, ups, {.affinity_key = key}));
    }
    return out;
}

TEST(PrefixAffinity, TheSameKeyAlwaysGoesToTheSameReplica) {
    Balancer b(Policy::PrefixAffinity, {});
    auto ups = replicas(5);
    const std::vector<size_t> first = map_keys(b, ups, 200);
    for (int round = 0; round < 3; ++round) EXPECT_EQ(map_keys(b, ups, 200), first);
    // A second balancer with the same seed agrees (another gateway, or after a restart).
    Balancer other(Policy::PrefixAffinity, {});
    EXPECT_EQ(map_keys(other, ups, 200), first);
}

TEST(PrefixAffinity, KeysSpreadOverAllReplicas) {
    Balancer b(Policy::PrefixAffinity, {});
    auto ups = replicas(4);
    std::vector<int> counts(4, 0);
    for (size_t i : map_keys(b, ups, 4000)) ++counts[i];
    for (int c : counts) EXPECT_NEAR(c / 4000.0, 0.25, 0.08);
}

TEST(PrefixAffinity, AddingAReplicaMovesOnlyTheKeysItTakesOver) {
    Balancer b(Policy::PrefixAffinity, {});
    auto four = replicas(4);
    const std::vector<size_t> before = map_keys(b, four, 4000);
    auto five = replicas(5);
    const std::vector<size_t> after = map_keys(b, five, 4000);
    int moved = 0;
    for (size_t k = 0; k < before.size(); ++k) {
        if (before[k] == after[k]) continue;
        ++moved;
        EXPECT_EQ(after[k], 4u) << "key " << k << " moved between old replicas";
    }
    EXPECT_NEAR(moved / 4000.0, 1.0 / 5.0, 0.07);
}

TEST(PrefixAffinity, AnUnavailableReplicasKeysGoElsewhereAndComeBack) {
    Balancer b(Policy::PrefixAffinity, {});
    auto ups = replicas(4);
    const std::vector<size_t> before = map_keys(b, ups, 1000);
    ups[2].available = false;
    const std::vector<size_t> during = map_keys(b, ups, 1000);
    for (size_t k = 0; k < before.size(); ++k) {
        if (before[k] == 2) {
            EXPECT_NE(during[k], 2u);
        } else {
            EXPECT_EQ(during[k], before[k]);  // the other replicas keep their keys
        }
    }
    ups[2].available = true;
    EXPECT_EQ(map_keys(b, ups, 1000), before);
}

TEST(PrefixAffinity, AHotKeyNeverPushesAReplicaPastTheLoadBound) {
    const double bound = 0.25;
    Balancer b(Policy::PrefixAffinity, {.affinity_bound = bound});
    auto ups = replicas(4);
    int64_t total = 0;
    std::map<size_t, int> used;
    for (int i = 0; i < 400; ++i) {
        // Everyone sends the same system prompt; nothing completes.
        const size_t chosen = must_pick(b, ups, {.affinity_key = "You are a helpful assistant"});
        ++ups[chosen].in_flight;
        ++total;
        ++used[chosen];
        const double mean = static_cast<double>(total) / 4.0;
        ASSERT_LE(ups[chosen].in_flight, static_cast<int64_t>(std::ceil((1.0 + bound) * mean)))
            << i;
    }
    EXPECT_EQ(used.size(), 4u);  // the overflow spilled over to every replica
}

TEST(PrefixAffinity, WithinTheBoundTheKeyStaysPut) {
    Balancer b(Policy::PrefixAffinity, {.affinity_bound = 1.0});
    auto ups = replicas(4);
    const size_t home = must_pick(b, ups, {.affinity_key = "k"});
    ups[home].in_flight = 1;  // capacity with this request: ceil(2 * 2/4) = 1, so it is full
    EXPECT_NE(must_pick(b, ups, {.affinity_key = "k"}), home);
    for (UpstreamView& u : ups) u.in_flight = 5;
    ups[home].in_flight = 9;  // capacity: ceil(2 * 25/4) = 13
    EXPECT_EQ(must_pick(b, ups, {.affinity_key = "k"}), home);
}

TEST(PrefixAffinity, NoKeyFallsBackToLeastConnections) {
    Balancer b(Policy::PrefixAffinity, {});
    auto ups = replicas(3);
    ups[0].in_flight = 2;
    ups[1].in_flight = 0;
    ups[2].in_flight = 1;
    EXPECT_EQ(must_pick(b, ups), 1u);
}

TEST(Balancer, BackupsOnlyWhenNoPrimaryIsAvailable) {
    for (Policy p : kAllPolicies) {
        SCOPED_TRACE(std::string(policy_name(p)));
        Balancer b(p, {});
        auto ups = replicas(4);
        ups[2].backup = true;
        ups[3].backup = true;
        ups[0].in_flight = 50;  // even a loaded primary beats an idle backup
        for (int i = 0; i < 50; ++i) {
            const size_t chosen = must_pick(b, ups, {.affinity_key = std::to_string(i)});
            EXPECT_LT(chosen, 2u);
        }
        ups[0].available = false;
        ups[1].available = false;
        std::vector<int> counts(4, 0);
        for (int i = 0; i < 50; ++i) ++counts[must_pick(b, ups, {.affinity_key = "x"})];
        EXPECT_EQ(counts[0] + counts[1], 0);
        EXPECT_EQ(counts[2] + counts[3], 50);
    }
}

TEST(Balancer, ExclusionsSendTheRetryElsewhere) {
    for (Policy p : kAllPolicies) {
        SCOPED_TRACE(std::string(policy_name(p)));
        Balancer b(p, {});
        auto ups = replicas(3);
        ups[0].weight = 3;
        for (int i = 0; i < 30; ++i) {
            const std::string key = "key " + std::to_string(i);
            const size_t first = must_pick(b, ups, {.affinity_key = key});
            const size_t tried[] = {first};
            const size_t second = must_pick(b, ups, {.affinity_key = key, .exclude = tried});
            EXPECT_NE(second, first);
            const size_t both[] = {first, second};
            const size_t third = must_pick(b, ups, {.affinity_key = key, .exclude = both});
            EXPECT_NE(third, first);
            EXPECT_NE(third, second);
            const size_t all[] = {0, 1, 2};
            EXPECT_FALSE(b.pick(ups, {.affinity_key = key, .exclude = all}).has_value());
        }
    }
}

TEST(Balancer, ExcludedPrimariesFallBackToBackups) {
    Balancer b(Policy::RoundRobin, {});
    auto ups = replicas(2);
    ups[1].backup = true;
    const size_t tried[] = {0};
    EXPECT_EQ(b.pick(ups, {.exclude = tried}), 1u);
}

TEST(Balancer, NothingAvailableGivesNullopt) {
    for (Policy p : kAllPolicies) {
        SCOPED_TRACE(std::string(policy_name(p)));
        Balancer b(p, {});
        EXPECT_FALSE(b.pick({}, {}).has_value());
        auto ups = replicas(3);
        for (UpstreamView& u : ups) u.available = false;
        ups[2].backup = true;
        EXPECT_FALSE(b.pick(ups, {.affinity_key = "k"}).has_value());
    }
}

TEST(Balancer, WeightZeroDrainsAReplica) {
    for (Policy p : kAllPolicies) {
        SCOPED_TRACE(std::string(policy_name(p)));
        Balancer b(p, {});
        auto ups = replicas(3);
        ups[1].weight = 0;
        for (int i = 0; i < 60; ++i) {
            EXPECT_NE(must_pick(b, ups, {.affinity_key = std::to_string(i)}), 1u);
        }
    }
}

TEST(Balancer, AChangedReplicaCountIsPickedUpOnTheNextPick) {
    Balancer b(Policy::WeightedRoundRobin, {});
    auto two = replicas(2);
    EXPECT_EQ(picks(b, two, 2), (std::vector<size_t>{0, 1}));
    auto three = replicas(3);
    EXPECT_EQ(picks(b, three, 3), (std::vector<size_t>{0, 1, 2}));
    b.set_upstream_count(1);
    auto one = replicas(1);
    EXPECT_EQ(picks(b, one, 2), (std::vector<size_t>{0, 0}));
}

TEST(Balancer, ValidateNamesTheBadField) {
    EXPECT_TRUE(validate(BalancerOptions{}).ok());
    EXPECT_NE(validate({.affinity_bound = -0.1}).message().find("affinity_bound"),
              std::string::npos);
    EXPECT_NE(validate({.virtual_nodes = 0}).message().find("virtual_nodes"), std::string::npos);
    EXPECT_NE(validate({.p2c_tokens_per_request = 0}).message().find("p2c_tokens_per_request"),
              std::string::npos);
    EXPECT_NE(validate({.p2c_kv_weight = -1}).message().find("p2c_kv_weight"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::gateway
