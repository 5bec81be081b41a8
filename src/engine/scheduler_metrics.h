// The scheduler's metrics, declared once (STYLE.md §8): finished requests by reason, its own
// rejections, tokens, prefix-cache blocks, preemptions, latency histograms (time to first
// token, inter-token latency, end-to-end, queue time), step time and size, and load gauges.
// Thread: on_* and publish() from the scheduler thread; the rejection counters from
// submitters (atomic adds).
#pragma once

#include <array>

#include "engine/request.h"
#include "engine/scheduler.h"
#include "obs/metrics.h"

namespace glmserve::engine {

struct Scheduler::Metrics {
    explicit Metrics(obs::Registry& registry);

    void set_pool(const model::KvPool& pool);
    void on_admitted(double queue_seconds, int64_t n_prompt, int64_t n_cached);
    void on_finished(FinishReason reason, const RequestStats& stats);
    void on_step(double seconds, int64_t n_tokens);
    void publish(const SchedulerSnapshot& snapshot);

    obs::Counter& rejected_invalid;
    obs::Counter& rejected_queue_full;
    obs::Counter& rejected_queue_tokens;
    obs::Counter& rejected_stopped;
    obs::Counter& prompt_tokens;
    obs::Counter& cached_prompt_tokens;
    obs::Counter& generated_tokens;
    obs::Counter& prefix_hit_blocks;
    obs::Counter& prefix_miss_blocks;
    obs::Counter& prefix_evicted_blocks;
    obs::Counter& preemptions;
    obs::Histogram& ttft;
    obs::Histogram& itl;
    obs::Histogram& e2e;
    obs::Histogram& queue_time;
    obs::Histogram& step_time;
    obs::Histogram& step_tokens;
    obs::Gauge& running;
    obs::Gauge& waiting;
    obs::Gauge& queued_tokens;
    obs::Gauge& kv_blocks_total;
    obs::Gauge& kv_blocks_used;
    obs::Gauge& kv_blocks_cached;
    obs::Gauge& kv_bytes_total;
    obs::Gauge& kv_bytes_used;

private:
    std::array<obs::Counter*, 5> finished_;  // by FinishReason
    PrefixCacheStats published_prefix_;      // what the counters already hold
    int64_t block_bytes_ = 0;
};

}  // namespace glmserve::engine
