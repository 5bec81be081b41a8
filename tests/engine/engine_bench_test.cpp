#include "engine/engine_bench.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_table.h"
#include "kernels/memory_bandwidth.h"
#include "support/tiny_model.h"

namespace glmserve::engine {
namespace {

TEST(EngineBench, MeanAndSampleStandardDeviation) {
    const Measurement m = measure({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0});
    EXPECT_DOUBLE_EQ(m.mean, 5.0);
    EXPECT_NEAR(m.stddev, std::sqrt(32.0 / 7.0), 1e-12);
    EXPECT_EQ(measure({3.0}).stddev, 0.0);
    EXPECT_EQ(measure({}).mean, 0.0);
}

TEST(EngineBench, BytesPerTokenCountOneEmbeddingRowUnlessTied) {
    auto untied = testing::make_tiny_model(testing::tiny_spec());
    const auto* embd = untied->file().find_tensor("token_embd.weight");
    EXPECT_EQ(weight_bytes_per_token(*untied),
              untied->weight_bytes() - embd->n_bytes + embd->row_bytes());

    model::RandomModelSpec spec = testing::tiny_spec();
    spec.tied_output = true;
    auto tied = testing::make_tiny_model(spec);
    EXPECT_EQ(weight_bytes_per_token(*tied), tied->weight_bytes());
}

TEST(EngineBench, RunsEveryRepetitionOfBothTests) {
    auto model = testing::make_tiny_model(testing::tiny_spec());
    kernels::ThreadPool pool(2);
    auto r = run_engine_bench(model, kernels::ref_kernels(), pool,
                              {.n_prompt = 16, .n_gen = 4, .repetitions = 3});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->prompt.tokens_per_second.size(), 3u);
    EXPECT_EQ(r->generation.tokens_per_second.size(), 3u);
    EXPECT_GT(r->prompt.mean, 0.0);
    EXPECT_GT(r->generation.mean, 0.0);

    auto skip = run_engine_bench(model, kernels::ref_kernels(), pool,
                                 {.n_prompt = 0, .n_gen = 2, .repetitions = 1});
    ASSERT_TRUE(skip.ok());
    EXPECT_TRUE(skip->prompt.tokens_per_second.empty());
    // The warm-up run is never a sample, with or without it.
    auto cold = run_engine_bench(model, kernels::ref_kernels(), pool,
                                 {.n_prompt = 4, .n_gen = 2, .repetitions = 2, .warmup = false});
    ASSERT_TRUE(cold.ok());
    EXPECT_EQ(cold->prompt.tokens_per_second.size(), 2u);
    EXPECT_EQ(cold->generation.tokens_per_second.size(), 2u);
    EXPECT_FALSE(run_engine_bench(model, kernels::ref_kernels(), pool, {.repetitions = 0}).ok());
}

TEST(EngineBench, MedianOfOddAndEvenCounts) {
    EXPECT_EQ(median({5.0, 1.0, 3.0}), 3.0);
    EXPECT_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
    EXPECT_EQ(median({}), 0.0);
}

// Each run is divided by the bandwidth probed after it, not by one probe for all: a host whose
// bandwidth halves between runs, with the runs halving too, is at the same fraction throughout.
TEST(EngineBench, RooflineFractionPairsEachRunWithItsOwnProbe) {
    EngineBenchResult r;
    r.bytes_per_token = 1000;
    r.generation = measure({90.0, 45.0, 80.0});
    r.read_bandwidth = {100'000.0, 50'000.0, 100'000.0};  // rooflines 100, 50, 100 tokens/s
    EXPECT_DOUBLE_EQ(roofline_fraction(r), 0.9);          // of 0.9, 0.9, 0.8
    r.read_bandwidth.clear();
    EXPECT_EQ(roofline_fraction(r), 0.0);
}

TEST(EngineBench, ProbesTheBandwidthAfterEveryRepetition) {
    auto model = testing::make_tiny_model(testing::tiny_spec());
    kernels::ThreadPool pool(2);
    auto r = run_engine_bench(model, kernels::ref_kernels(), pool,
                              {.n_prompt = 4,
                               .n_gen = 2,
                               .repetitions = 3,
                               .probe_bandwidth = true,
                               .bandwidth = {.buffer_bytes = uint64_t{8} << 20, .passes = 1}});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->read_bandwidth.size(), 3u);
    for (double bw : r->read_bandwidth) EXPECT_GT(bw, 0.0);
    EXPECT_GT(roofline_fraction(*r), 0.0);

    auto unprobed =
        run_engine_bench(model, kernels::ref_kernels(), pool, {.n_prompt = 0, .n_gen = 1});
    ASSERT_TRUE(unprobed.ok());
    EXPECT_TRUE(unprobed->read_bandwidth.empty());
}

TEST(MemoryBandwidth, MeasuresAFiniteRate) {
    kernels::ThreadPool pool(2);
    const double bw =
        kernels::measure_read_bandwidth(pool, {.buffer_bytes = uint64_t{16} << 20, .passes = 2});
    EXPECT_TRUE(std::isfinite(bw));
    EXPECT_GT(bw, 0.0);
}

}  // namespace
}  // namespace glmserve::engine
