// The continuous-batching scheduler on a tiny model: results equal the single-sequence path,
// seeds are batch-independent, chunked prefill, prefix-cache hits, preemption under a tiny
// pool, admission refusals, deadlines, cancellation, stop conditions, logprobs, shutdown.
#include "engine/scheduler.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <future>
#include <latch>
#include <mutex>
#include <thread>

#include "engine/generator.h"
#include "kernels/kernel_table.h"
#include "model/paged_kv.h"
#include "support/step_gate.h"
#include "support/tiny_model.h"

namespace glmserve::engine {
namespace {

using namespace std::chrono_literals;
using testing::StepGate;

// Collects one request's events; finished() waits for on_finish.
class CollectingSink : public RequestSink {
public:
    std::function<TokenAction(const TokenEvent&)> on_token_hook;

    TokenAction on_token(const TokenEvent& e) override {
        {
            std::lock_guard lock(mu_);
            tokens_.push_back(e.token);
            if (e.logprobs) logprobs_.push_back(*e.logprobs);
        }
        return on_token_hook ? on_token_hook(e) : TokenAction::Continue;
    }
    void on_finish(const Completion& c) override {
        std::lock_guard lock(mu_);
        completion_ = c;
        ++n_finish_;
        done_.notify_all();
    }

    // Waits (bounded, generously) for on_finish.
    Completion finished() {
        std::unique_lock lock(mu_);
        EXPECT_TRUE(done_.wait_for(lock, 60s, [&] { return n_finish_ > 0; }))
            << "request never finished";
        return completion_;
    }
    std::vector<int32_t> tokens() {
        std::lock_guard lock(mu_);
        return tokens_;
    }
    std::vector<TokenLogprobs> logprobs() {
        std::lock_guard lock(mu_);
        return logprobs_;
    }
    int n_finish() {
        std::lock_guard lock(mu_);
        return n_finish_;
    }

private:
    std::mutex mu_;
    std::condition_variable done_;
    std::vector<int32_t> tokens_;
    std::vector<TokenLogprobs> logprobs_;
    Completion completion_;
    int n_finish_ = 0;
};

std::vector<int32_t> make_prompt(int n, int salt) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back((i * 37 + salt * 101 + 11) % 290 + 5);
    return p;
}

class SchedulerTest : public ::testing::Test {
protected:
    SchedulerTest()
        : model_(testing::make_tiny_model(testing::tiny_spec())), pool_(2), solo_pool_(1) {}

    int64_t bytes_for_blocks(int64_t n_blocks, int32_t block_size = 16) const {
        return n_blocks * block_size * model::kv_bytes_per_token(model_->hparams());
    }

    std::unique_ptr<Scheduler> start(SchedulerConfig config, obs::Registry* metrics = nullptr) {
        if (config.kv_bytes == 0) config.kv_bytes = bytes_for_blocks(256, config.block_size);
        if (config.n_ctx == 0) config.n_ctx = 256;
        auto s =
            Scheduler::create(model_, kernels::ref_kernels(), pool_, std::move(config), metrics);
        EXPECT_TRUE(s.ok()) << s.status().to_string();
        return std::move(s).value();
    }

    static EngineRequest request(std::vector<int32_t> prompt, int32_t max_tokens,
                                 std::shared_ptr<RequestSink> sink, SamplingParams sampling = {}) {
        return EngineRequest{.id = "t",
                             .prompt = std::move(prompt),
                             .max_tokens = max_tokens,
                             .sampling = sampling,
                             .sink = std::move(sink)};
    }

    // Reference: the single-sequence Generator (the CLI's path) on its own thread pool.
    std::vector<int32_t> solo(const std::vector<int32_t>& prompt, int32_t n,
                              SamplingParams sampling) {
        auto gen = Generator::create(model_, kernels::ref_kernels(), solo_pool_, {.n_ctx = 256});
        EXPECT_TRUE(gen.ok());
        auto r = (*gen)->generate(prompt, {.max_tokens = n, .sampling = sampling}, nullptr);
        EXPECT_TRUE(r.ok());
        return r->tokens;
    }

    std::shared_ptr<const model::Model> model_;
    kernels::ThreadPool pool_;       // the scheduler's
    kernels::ThreadPool solo_pool_;  // the reference Generator's, usable while a scheduler runs
};

TEST_F(SchedulerTest, OneRequestMatchesTheSingleSequencePath) {
    auto sched = start({});
    auto sink = std::make_shared<CollectingSink>();
    const auto prompt = make_prompt(20, 1);
    ASSERT_TRUE(sched->try_submit(request(prompt, 12, sink, {.temperature = 0})).ok());
    const Completion c = sink->finished();
    EXPECT_EQ(c.reason, FinishReason::Length);
    EXPECT_EQ(c.stats.n_prompt_tokens, 20);
    EXPECT_EQ(c.stats.n_generated_tokens, 12);
    EXPECT_EQ(sink->tokens(), solo(prompt, 12, {.temperature = 0}));
}

TEST_F(SchedulerTest, SeededSamplingIsTheSameAloneAndInABatchOfSixteen) {
    constexpr int kN = 16;
    std::vector<std::vector<int32_t>> alone(kN);
    for (int i = 0; i < kN; ++i) {
        alone[static_cast<size_t>(i)] =
            solo(make_prompt(5 + i * 3, i), 10,
                 {.temperature = 0.9f, .top_k = 40, .seed = static_cast<uint64_t>(1000 + i)});
    }
    // Small steps so that prefill chunks and decodes of different requests share steps.
    auto sched = start({.max_batch_tokens = 24, .max_running = kN});
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    for (int i = 0; i < kN; ++i) {
        sinks.push_back(std::make_shared<CollectingSink>());
        ASSERT_TRUE(
            sched
                ->try_submit(request(
                    make_prompt(5 + i * 3, i), 10, sinks.back(),
                    {.temperature = 0.9f, .top_k = 40, .seed = static_cast<uint64_t>(1000 + i)}))
                .ok());
    }
    for (int i = 0; i < kN; ++i) {
        EXPECT_EQ(sinks[static_cast<size_t>(i)]->finished().reason, FinishReason::Length);
        EXPECT_EQ(sinks[static_cast<size_t>(i)]->tokens(), alone[static_cast<size_t>(i)])
            << "request " << i;
    }
}

TEST_F(SchedulerTest, LongPromptIsPrefilledInChunksWithTheSameResult) {
    const auto prompt = make_prompt(150, 3);
    auto sched = start({.max_batch_tokens = 16});
    auto sink = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(prompt, 5, sink, {.temperature = 0})).ok());
    sink->finished();
    EXPECT_EQ(sink->tokens(), solo(prompt, 5, {.temperature = 0}));
    EXPECT_GE(sched->snapshot().steps, 150u / 16u);
}

TEST_F(SchedulerTest, RepeatedPromptHitsThePrefixCache) {
    obs::Registry registry;
    auto sched = start({}, &registry);
    const auto prompt = make_prompt(70, 4);  // 4 full blocks of 16, then 6 tokens
    auto first = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(prompt, 4, first, {.temperature = 0})).ok());
    EXPECT_EQ(first->finished().stats.n_cached_tokens, 0);
    auto second = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(prompt, 4, second, {.temperature = 0})).ok());
    EXPECT_EQ(second->finished().stats.n_cached_tokens, 64);
    EXPECT_EQ(second->tokens(), first->tokens());
    const SchedulerSnapshot snap = sched->snapshot();
    EXPECT_EQ(snap.prefix_cache.hit_blocks, 4);
    EXPECT_GT(snap.kv_blocks_cached, 0);
    EXPECT_NE(registry.render().find("glmserve_prefix_cache_hits_total 4"), std::string::npos);
}

// Two 100-token prompts queued together, with room for both in one 256-token step: past
// prefill_solo_tokens the step takes no second prompt, so the first answers a step earlier
// than the second (and each answers exactly as alone); with 0 both answer in the same step.
TEST_F(SchedulerTest, SimultaneousPromptsAnswerOneAfterAnother) {
    for (const int64_t solo_tokens : {int64_t{64}, int64_t{0}}) {
        auto gate = std::make_shared<StepGate>();
        auto steps = std::make_shared<std::atomic<int>>(0);
        auto sched = start({.max_batch_tokens = 256,
                            .prefill_solo_tokens = solo_tokens,
                            .before_step = [gate, steps] {
                                gate->pass();
                                steps->fetch_add(1);
                            }});
        gate->wait_held();
        std::shared_ptr<CollectingSink> sinks[2];
        std::atomic<int> first_token_step[2] = {-1, -1};
        for (int i = 0; i < 2; ++i) {
            sinks[i] = std::make_shared<CollectingSink>();
            sinks[i]->on_token_hook = [&, i](const TokenEvent&) {
                int unset = -1;
                first_token_step[i].compare_exchange_strong(unset, steps->load());
                return TokenAction::Continue;
            };
            ASSERT_TRUE(
                sched
                    ->try_submit(request(make_prompt(100, 30 + i), 3, sinks[i], {.temperature = 0}))
                    .ok());
        }
        gate->open();
        for (int i = 0; i < 2; ++i) {
            EXPECT_EQ(sinks[i]->finished().reason, FinishReason::Length);
            EXPECT_EQ(sinks[i]->tokens(), solo(make_prompt(100, 30 + i), 3, {.temperature = 0}));
        }
        if (solo_tokens > 0) {
            EXPECT_LT(first_token_step[0].load(), first_token_step[1].load());
        } else {
            EXPECT_EQ(first_token_step[0].load(), first_token_step[1].load());
        }
        sched->stop();
    }
}

TEST_F(SchedulerTest, TinyPoolPreemptsAndEveryRequestStillCompletesCorrectly) {
    // 12 blocks of 16 positions; each request needs up to 3 (prompt 20 + 24 tokens), so six
    // of them cannot all grow at once. The gate holds the loop until all six are queued.
    auto gate = std::make_shared<StepGate>();
    auto sched = start({.max_running = 6,
                        .kv_bytes = bytes_for_blocks(12),
                        .prefix_cache = false,
                        .before_step = [gate] { gate->pass(); }});
    gate->wait_held();
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    for (int i = 0; i < 6; ++i) {
        sinks.push_back(std::make_shared<CollectingSink>());
        ASSERT_TRUE(sched
                        ->try_submit(request(make_prompt(20, 10 + i), 24, sinks.back(),
                                             {.temperature = 0.7f, .seed = uint64_t(i)}))
                        .ok());
    }
    gate->open();
    int preempted = 0;
    for (int i = 0; i < 6; ++i) {
        const Completion c = sinks[static_cast<size_t>(i)]->finished();
        EXPECT_EQ(c.reason, FinishReason::Length);
        preempted += c.stats.n_preemptions;
        EXPECT_EQ(sinks[static_cast<size_t>(i)]->tokens(),
                  solo(make_prompt(20, 10 + i), 24, {.temperature = 0.7f, .seed = uint64_t(i)}))
            << "request " << i;
    }
    EXPECT_GT(preempted, 0);
    EXPECT_EQ(sched->snapshot().preemptions, static_cast<uint64_t>(preempted));
}

TEST_F(SchedulerTest, RefusesWhatCanNeverFit) {
    auto sched = start({.n_ctx = 64, .kv_bytes = bytes_for_blocks(3)});
    auto sink = std::make_shared<CollectingSink>();
    auto too_long = sched->try_submit(request(make_prompt(60, 1), 10, sink));
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(too_long.status().message().find("60 tokens"), std::string::npos);
    EXPECT_NE(too_long.status().message().find("64"), std::string::npos);

    auto too_big_for_pool = sched->try_submit(request(make_prompt(40, 1), 20, sink));
    ASSERT_FALSE(too_big_for_pool.ok());
    EXPECT_NE(too_big_for_pool.status().message().find("KV pool"), std::string::npos);

    EXPECT_FALSE(sched->try_submit(request({}, 4, sink)).ok());
    EXPECT_FALSE(sched->try_submit(request({1, 300}, 4, sink)).ok());  // vocabulary is 300
    EXPECT_FALSE(sched->try_submit(request({1, -1}, 4, sink)).ok());
    EXPECT_FALSE(sched->try_submit(request({1}, 0, sink)).ok());
    EXPECT_FALSE(sched->try_submit(request({1}, 4, sink, {.temperature = -1})).ok());
    EXPECT_EQ(sink->n_finish(), 0);
}

TEST_F(SchedulerTest, BoundedQueueRefusesWithUnavailableWhenFull) {
    auto gate = std::make_shared<StepGate>();
    auto sched = start(
        {.max_waiting = 3, .max_queued_tokens = 100, .before_step = [gate] { gate->pass(); }});
    gate->wait_held();
    std::vector<std::shared_ptr<CollectingSink>> sinks;
    for (int i = 0; i < 3; ++i) {
        sinks.push_back(std::make_shared<CollectingSink>());
        ASSERT_TRUE(sched->try_submit(request(make_prompt(10, i), 2, sinks.back())).ok());
    }
    auto sink = std::make_shared<CollectingSink>();
    auto full = sched->try_submit(request(make_prompt(10, 9), 2, sink));
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), StatusCode::Unavailable);
    gate->open();
    for (auto& s : sinks) EXPECT_EQ(s->finished().reason, FinishReason::Length);
    // Room again; a request over the queued-token bound is refused on its own.
    auto too_many_tokens = sched->try_submit(request(make_prompt(101, 1), 2, sink));
    ASSERT_FALSE(too_many_tokens.ok());
    EXPECT_EQ(too_many_tokens.status().code(), StatusCode::Unavailable);
    EXPECT_TRUE(sched->try_submit(request(make_prompt(10, 9), 2, sink)).ok());
    EXPECT_EQ(sink->finished().reason, FinishReason::Length);
}

TEST_F(SchedulerTest, DeadlinePassedWhileQueuedOrRunningFinishesWithTimeout) {
    auto sched = start({});
    auto queued = std::make_shared<CollectingSink>();
    EngineRequest r = request(make_prompt(10, 1), 8, queued);
    r.deadline = SteadyClock::now() - 1ms;
    ASSERT_TRUE(sched->try_submit(std::move(r)).ok());
    const Completion c = queued->finished();
    EXPECT_EQ(c.reason, FinishReason::Timeout);
    EXPECT_EQ(c.stats.n_generated_tokens, 0);

    // A running request: its first token blocks the step until the deadline has passed.
    auto running = std::make_shared<CollectingSink>();
    const auto deadline = SteadyClock::now() + 200ms;
    running->on_token_hook = [deadline](const TokenEvent&) {
        std::this_thread::sleep_until(deadline);  // the deadline is the subject, not a sync
        return TokenAction::Continue;
    };
    EngineRequest r2 = request(make_prompt(10, 2), 200, running);
    r2.deadline = deadline;
    ASSERT_TRUE(sched->try_submit(std::move(r2)).ok());
    const Completion c2 = running->finished();
    EXPECT_EQ(c2.reason, FinishReason::Timeout);
    EXPECT_GE(c2.stats.n_generated_tokens, 1);
    EXPECT_LT(c2.stats.n_generated_tokens, 200);
}

TEST_F(SchedulerTest, CancelStopsARunningRequestWithinAStep) {
    auto sched = start({});
    auto sink = std::make_shared<CollectingSink>();
    std::promise<std::shared_ptr<RequestHandle>> handle_promise;
    auto handle_future = handle_promise.get_future().share();
    sink->on_token_hook = [handle_future](const TokenEvent& e) {
        if (e.index == 2) handle_future.get()->cancel();
        return TokenAction::Continue;
    };
    auto handle = sched->try_submit(request(make_prompt(10, 1), 200, sink));
    ASSERT_TRUE(handle.ok());
    handle_promise.set_value(*handle);
    const Completion c = sink->finished();
    EXPECT_EQ(c.reason, FinishReason::Cancelled);
    EXPECT_EQ(c.stats.n_generated_tokens, 3);  // cancelled during token 2's step: no 4th
    // The snapshot is published at the end of the step that finished the request.
    const auto give_up = SteadyClock::now() + 10s;
    while (sched->snapshot().kv_blocks_in_use != 0 && SteadyClock::now() < give_up) {
        std::this_thread::yield();
    }
    EXPECT_EQ(sched->snapshot().kv_blocks_in_use, 0);
}

TEST_F(SchedulerTest, StopConditions) {
    const auto prompt = make_prompt(12, 5);
    const auto greedy = solo(prompt, 6, {.temperature = 0});
    // The sink asks to stop (the server's stop strings).
    {
        auto sched = start({});
        auto sink = std::make_shared<CollectingSink>();
        sink->on_token_hook = [](const TokenEvent& e) {
            return e.index == 1 ? TokenAction::Stop : TokenAction::Continue;
        };
        ASSERT_TRUE(sched->try_submit(request(prompt, 6, sink, {.temperature = 0})).ok());
        EXPECT_EQ(sink->finished().reason, FinishReason::Stop);
        EXPECT_EQ(sink->tokens().size(), 2u);
    }
    // An end-of-generation token stops, unless ignore_eos; a stop token id always stops.
    {
        auto sched = start({.eog_token_ids = {greedy[2]}});
        auto eos = std::make_shared<CollectingSink>();
        ASSERT_TRUE(sched->try_submit(request(prompt, 6, eos, {.temperature = 0})).ok());
        EXPECT_EQ(eos->finished().reason, FinishReason::Stop);
        EXPECT_EQ(eos->tokens(), std::vector<int32_t>(greedy.begin(), greedy.begin() + 3));

        auto ignore = std::make_shared<CollectingSink>();
        EngineRequest r = request(prompt, 6, ignore, {.temperature = 0});
        r.ignore_eos = true;
        ASSERT_TRUE(sched->try_submit(std::move(r)).ok());
        EXPECT_EQ(ignore->finished().reason, FinishReason::Length);
        EXPECT_EQ(ignore->tokens(), greedy);

        auto stop_id = std::make_shared<CollectingSink>();
        EngineRequest r2 = request(prompt, 6, stop_id, {.temperature = 0});
        r2.stop_token_ids = {greedy[1]};
        ASSERT_TRUE(sched->try_submit(std::move(r2)).ok());
        EXPECT_EQ(stop_id->finished().reason, FinishReason::Stop);
        EXPECT_EQ(stop_id->tokens().size(), 2u);
    }
}

TEST_F(SchedulerTest, ARequestMayFillTheContextExactly) {
    auto sched = start({.n_ctx = 32});
    auto sink = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(make_prompt(30, 1), 2, sink)).ok());
    EXPECT_EQ(sink->finished().reason, FinishReason::Length);
    EXPECT_EQ(sink->tokens().size(), 2u);
}

TEST_F(SchedulerTest, LogprobsDescribeTheModelDistribution) {
    auto sched = start({});
    auto sink = std::make_shared<CollectingSink>();
    EngineRequest r = request(make_prompt(10, 1), 5, sink, {.temperature = 0});
    r.n_logprobs = 5;
    ASSERT_TRUE(sched->try_submit(std::move(r)).ok());
    sink->finished();
    const auto lps = sink->logprobs();
    const auto tokens = sink->tokens();
    ASSERT_EQ(lps.size(), 5u);
    for (size_t i = 0; i < lps.size(); ++i) {
        ASSERT_EQ(lps[i].top.size(), 5u);
        // Greedy picks the most likely token, so it heads the list with its own logprob.
        EXPECT_EQ(lps[i].top[0].first, tokens[i]);
        EXPECT_FLOAT_EQ(lps[i].top[0].second, lps[i].logprob);
        double mass = 0;
        for (size_t k = 0; k < lps[i].top.size(); ++k) {
            EXPECT_LE(lps[i].top[k].second, 0.0f);
            if (k > 0) {
                EXPECT_LE(lps[i].top[k].second, lps[i].top[k - 1].second);
            }
            mass += std::exp(lps[i].top[k].second);
        }
        EXPECT_LE(mass, 1.0 + 1e-5);
    }
}

TEST_F(SchedulerTest, StopCancelsEverythingAndRefusesNewWork) {
    auto gate = std::make_shared<StepGate>();
    auto sched = start({.before_step = [gate] { gate->pass(); }});
    gate->wait_held();
    auto sink = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(make_prompt(10, 1), 8, sink)).ok());
    std::thread stopper([&] { sched->stop(); });
    // Only once stop() has begun (new work is refused) may the held step run; opened earlier,
    // a fast engine could finish all 8 tokens before stop() is even called.
    auto probes = std::make_shared<CollectingSink>();
    while (true) {
        auto probe = sched->try_submit(request(make_prompt(4, 1), 1, probes));
        if (!probe.ok() && probe.status().message().find("shutting down") != std::string::npos) {
            break;
        }
        std::this_thread::yield();
    }
    gate->open();
    stopper.join();
    EXPECT_EQ(sink->finished().reason, FinishReason::Cancelled);
    EXPECT_EQ(sink->n_finish(), 1);
    auto late = sched->try_submit(request(make_prompt(10, 1), 8, sink));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.status().code(), StatusCode::Unavailable);
}

TEST_F(SchedulerTest, HeartbeatTicksWhileIdle) {
    auto sched = start({.idle_tick = 5ms});
    const auto first = sched->last_heartbeat();
    const auto give_up = SteadyClock::now() + 10s;
    while (sched->last_heartbeat() == first && SteadyClock::now() < give_up) {
        std::this_thread::yield();
    }
    EXPECT_GT(sched->last_heartbeat(), first);
}

TEST_F(SchedulerTest, MetricsCountFinishedRequestsAndTokens) {
    obs::Registry registry;
    auto sched = start({}, &registry);
    auto sink = std::make_shared<CollectingSink>();
    ASSERT_TRUE(sched->try_submit(request(make_prompt(10, 1), 7, sink)).ok());
    sink->finished();
    auto bad = sched->try_submit(request({}, 7, sink));
    EXPECT_FALSE(bad.ok());
    const std::string text = registry.render();
    EXPECT_NE(text.find("glmserve_inferences_total{reason=\"length\"} 1"), std::string::npos);
    EXPECT_NE(text.find("glmserve_generated_tokens_total 7"), std::string::npos);
    EXPECT_NE(text.find("glmserve_prompt_tokens_total 10"), std::string::npos);
    EXPECT_NE(text.find("glmserve_requests_rejected_total{reason=\"invalid\"} 1"),
              std::string::npos);
    EXPECT_NE(text.find("glmserve_time_to_first_token_seconds_count 1"), std::string::npos);
    EXPECT_NE(text.find("glmserve_inter_token_latency_seconds_count 6"), std::string::npos);
}

// Steps of more than `tokens` tokens, from the step-size histogram in Prometheus text.
double steps_larger_than(const std::string& text, int tokens) {
    const auto value = [&](const std::string& series) {
        const size_t at = text.find(series + " ");
        return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size() + 1));
    };
    return value("glmserve_engine_step_tokens_count") -
           value(fmt::format("glmserve_engine_step_tokens_bucket{{le=\"{}\"}}", tokens));
}

TEST_F(SchedulerTest, PromptChunksBesideDecodersAreSizedByTheStepTarget) {
    // A long prompt arrives while another request decodes. With a tiny step target its chunks
    // shrink to one block per step; with a large one it goes in whole.
    // The budget is the measured prefill rate times the target, so "tiny" depends on the model's
    // speed: the fixture's model prefills tens of tokens per millisecond (more than two blocks
    // in the 1 ms target on a fast machine). This one, about 18 times the work per token,
    // prefills a few tokens per millisecond with the ref kernels, so 1 ms buys less than a block.
    model::RandomModelSpec slower = testing::tiny_spec();
    slower.n_embd = 256;
    slower.n_ff = 512;
    model_ = testing::make_tiny_model(slower);
    for (const std::chrono::milliseconds target : {1ms, 10'000ms}) {
        obs::Registry registry;
        auto sched = start({.max_batch_tokens = 256, .prefill_step_target = target}, &registry);
        auto decoder = std::make_shared<CollectingSink>();
        std::promise<void> decoding;
        decoder->on_token_hook = [&decoding](const TokenEvent& e) {
            if (e.index == 0) decoding.set_value();
            return TokenAction::Continue;
        };
        ASSERT_TRUE(sched->try_submit(request(make_prompt(10, 1), 120, decoder)).ok());
        decoding.get_future().wait();
        auto long_prompt = std::make_shared<CollectingSink>();
        ASSERT_TRUE(sched->try_submit(request(make_prompt(160, 2), 2, long_prompt)).ok());
        EXPECT_EQ(long_prompt->finished().reason, FinishReason::Length);
        decoder->finished();
        const double big_steps = steps_larger_than(registry.render(), 32);
        if (target == 1ms) {
            EXPECT_EQ(big_steps, 0) << "a chunk exceeded one block beside a decoder";
        } else {
            EXPECT_GE(big_steps, 1) << "the prompt should have gone in one step";
        }
    }
}

}  // namespace
}  // namespace glmserve::engine
