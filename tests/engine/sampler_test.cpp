#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace glmserve::engine {
namespace {

std::vector<float> ramp(int n) {
    std::vector<float> l(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        l[static_cast<size_t>(i)] = 0.1f * static_cast<float>(i % 17) - 0.5f;
    return l;
}

std::vector<int32_t> draw_many(SamplingParams p, int n, const std::vector<float>& logits) {
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < n; ++i) {
        auto l = logits;
        out.push_back(s.sample(l, {}));
    }
    return out;
}

TEST(Sampler, GreedyPicksArgmaxLowestIdOnTies) {
    Sampler s({.temperature = 0.0f});
    std::vector<float> l = {0.1f, 2.0f, -1.0f, 2.0f};
    EXPECT_EQ(s.sample(l, {}), 1);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
    const auto logits = ramp(100);
    const SamplingParams p{.temperature = 1.0f, .seed = 1234};
    EXPECT_EQ(draw_many(p, 50, logits), draw_many(p, 50, logits));
    SamplingParams other = p;
    other.seed = 99;
    EXPECT_NE(draw_many(p, 50, logits), draw_many(other, 50, logits));
}

TEST(Sampler, SeededStreamIsFixedAcrossBuilds) {
    // Pinned values: a change here changes every seeded completion users have recorded.
    Sampler s({.seed = 42});
    EXPECT_NEAR(s.next_uniform(), 0.7415648787718233, 1e-15);
}

TEST(Sampler, TopKOneIsGreedy) {
    const auto logits = ramp(64);
    for (int32_t id : draw_many({.temperature = 2.0f, .top_k = 1, .seed = 5}, 20, logits)) {
        EXPECT_EQ(id, argmax(logits));
    }
}

TEST(Sampler, TopKLimitsTheCandidates) {
    std::vector<float> logits = {5.0f, 4.9f, 4.8f, 0.0f, 0.0f, 0.0f};
    for (int32_t id : draw_many({.temperature = 5.0f, .top_k = 3, .seed = 3}, 200, logits)) {
        EXPECT_LT(id, 3);
    }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
    // Probabilities ≈ 0.64, 0.24, 0.09, 0.03: top_p 0.8 keeps the first two.
    std::vector<float> logits = {2.0f, 1.0f, 0.0f, -1.0f};
    std::map<int32_t, int> seen;
    for (int32_t id : draw_many({.temperature = 1.0f, .top_p = 0.8f, .seed = 8}, 400, logits)) {
        ++seen[id];
    }
    EXPECT_GT(seen[0], 0);
    EXPECT_GT(seen[1], 0);
    EXPECT_EQ(seen.count(2), 0u);
    EXPECT_EQ(seen.count(3), 0u);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
    std::vector<float> logits = {3.0f, 2.9f, 0.0f, 0.0f};  // p(2)/p(0) ≈ 0.05
    for (int32_t id : draw_many({.temperature = 1.0f, .min_p = 0.2f, .seed = 4}, 300, logits)) {
        EXPECT_LT(id, 2);
    }
}

TEST(Sampler, FollowsTheDistribution) {
    std::vector<float> logits = {std::log(0.7f), std::log(0.2f), std::log(0.1f)};
    std::map<int32_t, int> seen;
    const int n = 20000;
    for (int32_t id : draw_many({.temperature = 1.0f, .seed = 11}, n, logits)) ++seen[id];
    EXPECT_NEAR(seen[0] / double(n), 0.7, 0.02);
    EXPECT_NEAR(seen[1] / double(n), 0.2, 0.02);
    EXPECT_NEAR(seen[2] / double(n), 0.1, 0.02);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
    Sampler s({.temperature = 0.0f, .repetition_penalty = 2.0f});
    std::vector<float> l = {4.0f, 3.0f, -1.0f};
    const int32_t history[] = {0, 2};
    EXPECT_EQ(s.sample(l, history), 1);
    EXPECT_FLOAT_EQ(l[0], 2.0f);
    EXPECT_FLOAT_EQ(l[2], -2.0f);
}

TEST(Sampler, PresenceAndFrequencyPenaltiesFollowOpenAi) {
    Sampler s({.temperature = 0.0f, .presence_penalty = 0.5f, .frequency_penalty = 0.25f});
    std::vector<float> l = {1.0f, 1.0f, 1.0f};
    const int32_t history[] = {0, 0, 0, 1};
    s.sample(l, history);
    EXPECT_FLOAT_EQ(l[0], 1.0f - 3 * 0.25f - 0.5f);
    EXPECT_FLOAT_EQ(l[1], 1.0f - 0.25f - 0.5f);
    EXPECT_FLOAT_EQ(l[2], 1.0f);
}

TEST(Sampler, PenaltyWindowOnlyCoversTheLastTokens) {
    Sampler s({.temperature = 0.0f, .presence_penalty = 1.0f, .penalty_last_n = 1});
    std::vector<float> l = {1.0f, 1.0f};
    const int32_t history[] = {0, 1};
    s.sample(l, history);
    EXPECT_FLOAT_EQ(l[0], 1.0f);
    EXPECT_FLOAT_EQ(l[1], 0.0f);
}

TEST(Sampler, ValidateNamesTheBadField) {
    struct Case {
        SamplingParams p;
        const char* field;
    };
    const Case cases[] = {
        {{.temperature = -1.0f}, "temperature"},
        {{.temperature = NAN}, "temperature"},
        {{.top_k = -2}, "top_k"},
        {{.top_p = 0.0f}, "top_p"},
        {{.top_p = 1.5f}, "top_p"},
        {{.min_p = 2.0f}, "min_p"},
        {{.repetition_penalty = 0.0f}, "repetition_penalty"},
        {{.presence_penalty = 3.0f}, "presence_penalty"},
        {{.frequency_penalty = INFINITY}, "frequency_penalty"},
        {{.penalty_last_n = -5}, "penalty_last_n"},
    };
    for (const Case& c : cases) {
        const Status s = validate(c.p);
        EXPECT_EQ(s.code(), StatusCode::InvalidArgument) << c.field;
        EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
    }
    EXPECT_TRUE(validate(SamplingParams{}).ok());
}

}  // namespace
}  // namespace glmserve::engine
