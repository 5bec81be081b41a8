// Scheduler: continuous batching of many requests over one model (ARCHITECTURE.md, "Engine
// decisions"; issue #4).
//
// One thread runs steps. Each step builds one batch for the Decoder within max_batch_tokens:
//   1. every running sequence that is decoding contributes its one pending token (oldest
//      first); when the KV pool has no block for it, the most recently admitted running
//      sequence is preempted — its blocks are released and it goes back to the head of the
//      queue to be recomputed later (its prompt blocks usually come back from the prefix
//      cache) — so a full pool slows the newest request and never fails the others;
//   2. running sequences still in prefill continue with their next chunk;
//   3. waiting requests are admitted in arrival order while budget, max_running and the pool
//      allow: the prefix cache supplies what it can, and blocks for the whole rest of the prompt
//      are reserved at admission (a prefill never stalls halfway for blocks).
// Steps 2 and 3 take no further prompt once the step holds prefill_solo_tokens prompt tokens,
// so simultaneous prompts get their first tokens one after another rather than all at the end.
// A long prompt is thus cut into chunks that share each step with everyone's decode token; while
// others decode, a chunk is sized from the measured prefill rate to take about
// prefill_step_target, so a long prompt delays the others' next token by about that much.
//
// Admission (try_submit) refuses at once, without queueing: a request that can never run
// (empty prompt, bad token ids, prompt + max_tokens over n_ctx, more blocks than the whole pool
// holds) with InvalidArgument and the numbers; a full queue (max_waiting requests or
// max_queued_tokens prompt tokens) or a stopped scheduler with Unavailable. The queue is the
// only place requests wait, and it is bounded.
//
// Deadlines and cancellation are checked every step for waiting and running requests.
// Determinism: each sequence has its own Sampler seeded from its request, and every row of a
// batch is computed independently of the others (matmul rows, per-sequence attention), so a
// seed gives the same tokens alone or in any batch, chunked or preempted.
// Thread: try_submit(), snapshot(), last_heartbeat() and stop() from any thread; everything
// else (sequences, the KV pool, the decoder) belongs to the scheduler thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "engine/block_manager.h"
#include "engine/request.h"
#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"
#include "model/decoder.h"
#include "model/model.h"
#include "obs/metrics.h"

namespace glmserve::engine {

struct SchedulerConfig {
    int64_t n_ctx = 0;               // positions per sequence; 0: the model's training context
    int64_t max_batch_tokens = 256;  // tokens per step over all sequences
    // While sequences are decoding, prompt tokens in one step are limited to what the measured
    // prefill rate computes in this long: about the most a long prompt delays the others' next
    // token. 0: no limit beyond max_batch_tokens. Off by default: smaller chunks cost
    // throughput (measured 2x on the reference kernels at 500 ms; see issue #4's note).
    std::chrono::milliseconds prefill_step_target{0};
    // Once a step holds this many prompt tokens, it starts no further prompt. Prefill on a CPU
    // is compute-bound well below this, so two prompts in one step finish no sooner than one
    // after the other, but the first one's first token waits for the second's chunk (and every
    // decoder's next token for both). 0: fill each step up to max_batch_tokens.
    int64_t prefill_solo_tokens = 64;
    int32_t max_running = 16;           // sequences in the batch
    int32_t max_waiting = 64;           // queued requests
    int64_t max_queued_tokens = 65536;  // prompt tokens of queued requests
    int32_t block_size = 16;
    int64_t kv_bytes = 0;  // the KV pool; the memory budget of all sequences together
    bool prefix_cache = true;
    std::vector<int32_t> eog_token_ids;        // the vocabulary's end-of-generation tokens
    std::chrono::milliseconds idle_tick{100};  // heartbeat period while idle
    std::function<void()> before_step;         // test seam: runs on the thread before each step
};

// A consistent picture of the engine's load, refreshed after every step.
struct SchedulerSnapshot {
    int32_t n_waiting = 0;
    int32_t n_running = 0;
    int64_t queued_prompt_tokens = 0;
    int32_t kv_blocks_total = 0;
    int32_t kv_blocks_in_use = 0;
    int32_t kv_blocks_cached = 0;
    int64_t kv_block_bytes = 0;
    int32_t block_size = 0;
    PrefixCacheStats prefix_cache;
    uint64_t steps = 0;
    uint64_t preemptions = 0;
    double prefill_tokens_per_second = 0;  // recent, smoothed
    double decode_tokens_per_second = 0;   // recent, smoothed (all sequences together)
    double estimated_queue_seconds = 0;    // for a request arriving now
};

class Scheduler {
public:
    // Builds the KV pool (config.kv_bytes), the decoder, and starts the scheduler thread.
    // `pool` is used only from that thread. `metrics` may be null.
    static Result<std::unique_ptr<Scheduler>> create(std::shared_ptr<const model::Model> model,
                                                     const kernels::KernelTable& table,
                                                     kernels::ThreadPool& pool,
                                                     SchedulerConfig config,
                                                     obs::Registry* metrics);
    ~Scheduler();  // stop()

    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Queues a request (see the header comment for refusals). The sink is called on the
    // scheduler thread from the next step on.
    Result<std::shared_ptr<RequestHandle>> try_submit(EngineRequest request);

    // Finishes every request with Cancelled and joins the thread; later submissions are
    // Unavailable. Idempotent.
    void stop();

    const SchedulerConfig& config() const { return config_; }
    int64_t n_ctx() const { return config_.n_ctx; }
    SchedulerSnapshot snapshot() const;
    // The queue as submitters see it right now (the snapshot lags by up to a step).
    struct QueueDepth {
        int32_t n_requests = 0;
        int64_t n_prompt_tokens = 0;
    };
    QueueDepth queue_depth() const;
    // When the loop last finished a step or an idle tick: the watchdog behind /health.
    SteadyClock::time_point last_heartbeat() const;

    struct Sequence;
    struct Metrics;

private:
    Scheduler(std::shared_ptr<const model::Model> model, const kernels::KernelTable& table,
              kernels::ThreadPool& pool, SchedulerConfig config, std::unique_ptr<model::KvPool> kv,
              obs::Registry* metrics);

    Status check_admissible(const EngineRequest& request) const;
    void loop();
    void take_arrivals();
    void expire_and_cancel(SteadyClock::time_point now);
    bool step();
    int64_t prefill_budget_beside(size_t n_decoding) const;
    void plan_decodes(std::vector<Sequence*>& batch, int64_t& budget);
    // n_prompt: the prompt tokens this step holds so far (see prefill_solo_tokens).
    bool takes_another_prompt(int64_t n_prompt) const;
    void plan_prefills(std::vector<Sequence*>& batch, int64_t& budget, int64_t& n_prompt);
    void plan_admissions(std::vector<Sequence*>& batch, int64_t& budget, int64_t& n_prompt);
    bool preempt_newest_for(const Sequence& needy);
    void run_batch(std::span<Sequence* const> batch);
    void after_logits(Sequence& seq, std::span<float> logits, SteadyClock::time_point now);
    void finish(Sequence& seq, FinishReason reason, Status error = {});
    void remove_finished();
    void publish_snapshot(double step_seconds, int64_t n_prefill, int64_t n_decode);

    std::shared_ptr<const model::Model> model_;
    SchedulerConfig config_;
    std::unique_ptr<model::KvPool> kv_;
    // Thread: scheduler only, from here to `metrics_`.
    model::Decoder decoder_;
    BlockManager blocks_;
    std::deque<std::unique_ptr<Sequence>> waiting_;   // admission order (preempted at the front)
    std::vector<std::unique_ptr<Sequence>> running_;  // admission order, oldest first
    uint64_t next_admit_order_ = 0;
    std::vector<float> logits_;
    std::vector<float> raw_logits_;  // one row, kept for logprobs while the sampler edits it
    std::vector<model::SequenceChunk> chunks_;
    double prefill_rate_ = 0;  // tokens/s, exponentially smoothed
    double decode_rate_ = 0;
    std::unique_ptr<Metrics> metrics_;

    // Shared with submitters.
    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<Sequence>> arrivals_;  // guarded by mu_
    int64_t queued_tokens_ = 0;                       // guarded by mu_: arrivals + waiting
    int32_t n_queued_ = 0;                            // guarded by mu_: arrivals + waiting
    bool stopping_ = false;                           // guarded by mu_
    SchedulerSnapshot snapshot_;                      // guarded by mu_
    std::atomic<int64_t> heartbeat_ns_{0};
    std::thread thread_;
};

}  // namespace glmserve::engine
