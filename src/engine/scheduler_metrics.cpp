#include "engine/scheduler_metrics.h"

#include <string>

namespace glmserve::engine {
namespace {

obs::Counter& rejected(obs::Registry& r, const char* reason) {
    return r.counter("glmserve_requests_rejected_total",
                     "Requests refused without being served, by reason", {{"reason", reason}});
}

}  // namespace

Scheduler::Metrics::Metrics(obs::Registry& r)
    : rejected_invalid(rejected(r, "invalid")),
      rejected_queue_full(rejected(r, "queue_full")),
      rejected_queue_tokens(rejected(r, "queue_tokens")),
      rejected_stopped(rejected(r, "shutting_down")),
      prompt_tokens(
          r.counter("glmserve_prompt_tokens_total", "Prompt tokens of admitted requests")),
      cached_prompt_tokens(r.counter("glmserve_prompt_tokens_cached_total",
                                     "Prompt tokens whose KV came from the prefix cache")),
      generated_tokens(r.counter("glmserve_generated_tokens_total", "Tokens generated")),
      prefix_hit_blocks(r.counter("glmserve_prefix_cache_hits_total",
                                  "Full prompt KV blocks found in the prefix cache")),
      prefix_miss_blocks(r.counter("glmserve_prefix_cache_misses_total",
                                   "Full prompt KV blocks not found in the prefix cache")),
      prefix_evicted_blocks(r.counter("glmserve_prefix_cache_evictions_total",
                                      "Cached KV blocks reclaimed for new sequences")),
      preemptions(r.counter("glmserve_preemptions_total",
                            "Running sequences preempted for KV space (recomputed later)")),
      ttft(r.histogram("glmserve_time_to_first_token_seconds",
                       "Submission to first generated token", obs::latency_buckets_seconds())),
      itl(r.histogram("glmserve_inter_token_latency_seconds",
                      "Time between consecutive tokens of a request",
                      obs::latency_buckets_seconds())),
      e2e(r.histogram("glmserve_request_duration_seconds", "Submission to finish, per inference",
                      obs::latency_buckets_seconds())),
      queue_time(r.histogram("glmserve_queue_time_seconds", "Submission to first scheduled step",
                             obs::latency_buckets_seconds())),
      step_time(r.histogram("glmserve_engine_step_seconds", "Duration of one engine step",
                            obs::latency_buckets_seconds())),
      step_tokens(r.histogram("glmserve_engine_step_tokens", "Tokens computed in one engine step",
                              obs::token_count_buckets())),
      running(r.gauge("glmserve_requests_running", "Sequences in the running batch")),
      waiting(r.gauge("glmserve_requests_waiting", "Requests queued for admission")),
      queued_tokens(r.gauge("glmserve_queued_prompt_tokens", "Prompt tokens of queued requests")),
      kv_blocks_total(r.gauge("glmserve_kv_blocks_total", "KV cache blocks in the pool")),
      kv_blocks_used(r.gauge("glmserve_kv_blocks_used", "KV cache blocks held by sequences")),
      kv_blocks_cached(
          r.gauge("glmserve_kv_blocks_cached", "KV cache blocks registered in the prefix cache")),
      kv_bytes_total(r.gauge("glmserve_kv_pool_bytes", "Bytes of the KV cache pool")),
      kv_bytes_used(r.gauge("glmserve_kv_used_bytes", "Bytes of KV blocks held by sequences")) {
    for (FinishReason reason : {FinishReason::Length, FinishReason::Stop, FinishReason::Cancelled,
                                FinishReason::Timeout, FinishReason::Error}) {
        finished_[static_cast<size_t>(reason)] =
            &r.counter("glmserve_inferences_total", "Inferences finished, by finish reason",
                       {{"reason", std::string(finish_reason_name(reason))}});
    }
}

void Scheduler::Metrics::set_pool(const model::KvPool& pool) {
    block_bytes_ = pool.block_bytes();
    kv_blocks_total.set(pool.n_blocks());
    kv_bytes_total.set(static_cast<double>(pool.pool_bytes()));
}

void Scheduler::Metrics::on_admitted(double queue_seconds, int64_t n_prompt, int64_t n_cached) {
    queue_time.observe(queue_seconds);
    prompt_tokens.inc(static_cast<double>(n_prompt));
    cached_prompt_tokens.inc(static_cast<double>(n_cached));
}

void Scheduler::Metrics::on_finished(FinishReason reason, const RequestStats& stats) {
    finished_[static_cast<size_t>(reason)]->inc();
    e2e.observe(stats.total_time.count());
}

void Scheduler::Metrics::on_step(double seconds, int64_t n_tokens) {
    step_time.observe(seconds);
    step_tokens.observe(static_cast<double>(n_tokens));
}

void Scheduler::Metrics::publish(const SchedulerSnapshot& s) {
    running.set(s.n_running);
    waiting.set(s.n_waiting);
    queued_tokens.set(static_cast<double>(s.queued_prompt_tokens));
    kv_blocks_used.set(s.kv_blocks_in_use);
    kv_blocks_cached.set(s.kv_blocks_cached);
    kv_bytes_used.set(static_cast<double>(s.kv_blocks_in_use) * static_cast<double>(block_bytes_));
    const PrefixCacheStats& p = s.prefix_cache;
    prefix_hit_blocks.inc(static_cast<double>(p.hit_blocks - published_prefix_.hit_blocks));
    prefix_miss_blocks.inc(static_cast<double>(p.miss_blocks - published_prefix_.miss_blocks));
    prefix_evicted_blocks.inc(
        static_cast<double>(p.evicted_blocks - published_prefix_.evicted_blocks));
    published_prefix_ = p;
}

}  // namespace glmserve::engine
