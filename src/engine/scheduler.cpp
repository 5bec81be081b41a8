#include "engine/scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/logprobs.h"
#include "engine/scheduler_metrics.h"
#include "obs/logging.h"

namespace glmserve::engine {
namespace {

int64_t ns_since_epoch(SteadyClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool contains(std::span<const int32_t> ids, int32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Exponential smoothing of a rate; the first sample is taken as it is.
double smooth(double current, double sample) {
    constexpr double kWeight = 0.2;
    return current == 0 ? sample : current + kWeight * (sample - current);
}

}  // namespace

struct Scheduler::Sequence {
    explicit Sequence(EngineRequest r)
        : request(std::move(r)),
          handle(std::make_shared<RequestHandle>()),
          tokens(request.prompt),
          n_prompt(static_cast<int64_t>(request.prompt.size())),
          sampler(request.sampling) {}

    int64_t pending() const { return static_cast<int64_t>(tokens.size()) - n_computed; }

    EngineRequest request;
    std::shared_ptr<RequestHandle> handle;
    std::vector<int32_t> tokens;  // the prompt, then every generated token
    int64_t n_prompt = 0;
    int64_t n_computed = 0;  // positions whose K/V are in `blocks`
    model::BlockTable blocks;
    int32_t n_committed_blocks = 0;  // blocks handed to the prefix cache
    Sampler sampler;
    int32_t n_generated = 0;
    int64_t queued_tokens = 0;  // what this sequence adds to the queued-token bound
    int64_t chunk_tokens = 0;   // tokens it computes in the current step
    bool finished = false;
    bool ever_scheduled = false;
    bool lookup_counted = false;  // its prefix-cache lookup is in the hit/miss statistics
    SteadyClock::time_point submitted_at;
    SteadyClock::time_point scheduled_at;
    SteadyClock::time_point first_token_at;
    SteadyClock::time_point last_token_at;
    RequestStats stats;
    TokenLogprobs logprobs;  // scratch for the current token
};

Result<std::unique_ptr<Scheduler>> Scheduler::create(std::shared_ptr<const model::Model> model,
                                                     const kernels::KernelTable& table,
                                                     kernels::ThreadPool& pool,
                                                     SchedulerConfig config,
                                                     obs::Registry* metrics) {
    const model::HParams& hp = model->hparams();
    if (config.n_ctx <= 0) config.n_ctx = hp.n_ctx_train;
    if (config.max_batch_tokens <= 0) return invalid_argument("max_batch_tokens must be > 0");
    if (config.max_running <= 0) return invalid_argument("max_running must be > 0");
    if (config.max_waiting < 0) return invalid_argument("max_waiting must be >= 0");
    if (config.max_queued_tokens <= 0) return invalid_argument("max_queued_tokens must be > 0");
    if (config.prefill_solo_tokens < 0) return invalid_argument("prefill_solo_tokens must be >= 0");
    GS_ASSIGN_OR_RETURN(auto kv, model::KvPool::create_for(hp, config.kv_bytes, config.block_size));
    auto scheduler = std::unique_ptr<Scheduler>(
        new Scheduler(std::move(model), table, pool, std::move(config), std::move(kv), metrics));
    scheduler->thread_ = std::thread([s = scheduler.get()] { s->loop(); });
    return scheduler;
}

Scheduler::Scheduler(std::shared_ptr<const model::Model> model, const kernels::KernelTable& table,
                     kernels::ThreadPool& pool, SchedulerConfig config,
                     std::unique_ptr<model::KvPool> kv, obs::Registry* metrics)
    : model_(std::move(model)),
      config_(std::move(config)),
      kv_(std::move(kv)),
      decoder_(model_, table, pool, {.max_batch_tokens = config_.max_batch_tokens}),
      blocks_(*kv_, config_.prefix_cache),
      metrics_(metrics ? std::make_unique<Metrics>(*metrics) : nullptr) {
    heartbeat_ns_.store(ns_since_epoch(SteadyClock::now()), std::memory_order_relaxed);
    snapshot_.kv_blocks_total = blocks_.n_blocks_total();
    snapshot_.kv_block_bytes = kv_->block_bytes();
    snapshot_.block_size = kv_->block_size();
    if (metrics_) metrics_->set_pool(*kv_);
}

Scheduler::~Scheduler() {
    stop();
}

Status Scheduler::check_admissible(const EngineRequest& r) const {
    const auto n_prompt = static_cast<int64_t>(r.prompt.size());
    if (n_prompt == 0) return invalid_argument("the prompt has no tokens");
    const int64_t n_vocab = model_->hparams().n_vocab;
    for (int32_t id : r.prompt) {
        if (id < 0 || id >= n_vocab) {
            return invalid_argument(
                fmt::format("prompt token id {} is out of range [0, {})", id, n_vocab));
        }
    }
    if (r.max_tokens < 1) {
        return invalid_argument(fmt::format("max_tokens must be >= 1, got {}", r.max_tokens));
    }
    if (!r.sink) return invalid_argument("a request needs a sink");
    GS_RETURN_IF_ERROR(validate(r.sampling));
    const int64_t n_total = n_prompt + r.max_tokens;
    if (n_total > config_.n_ctx) {
        return invalid_argument(fmt::format(
            "the prompt ({} tokens) plus max_tokens ({}) is {} tokens, more than the context "
            "of {} tokens",
            n_prompt, r.max_tokens, n_total, config_.n_ctx));
    }
    const int64_t bs = kv_->block_size();
    const int64_t blocks_needed = (n_total + bs - 1) / bs;
    if (blocks_needed > kv_->n_blocks()) {
        return invalid_argument(fmt::format(
            "the prompt ({} tokens) plus max_tokens ({}) needs {} KV blocks but the whole KV "
            "pool has {} ({} tokens)",
            n_prompt, r.max_tokens, blocks_needed, kv_->n_blocks(), kv_->n_blocks() * bs));
    }
    return ok_status();
}

Result<std::shared_ptr<RequestHandle>> Scheduler::try_submit(EngineRequest request) {
    if (Status s = check_admissible(request); !s.ok()) {
        if (metrics_) metrics_->rejected_invalid.inc();
        return s;
    }
    auto seq = std::make_unique<Sequence>(std::move(request));
    seq->submitted_at = SteadyClock::now();
    seq->queued_tokens = seq->n_prompt;
    std::shared_ptr<RequestHandle> handle = seq->handle;
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            if (metrics_) metrics_->rejected_stopped.inc();
            return unavailable("the engine is shutting down");
        }
        if (n_queued_ >= config_.max_waiting) {
            if (metrics_) metrics_->rejected_queue_full.inc();
            return unavailable(fmt::format("server full: {} requests are waiting (limit {})",
                                           n_queued_, config_.max_waiting));
        }
        if (queued_tokens_ + seq->queued_tokens > config_.max_queued_tokens) {
            if (metrics_) metrics_->rejected_queue_tokens.inc();
            return unavailable(fmt::format(
                "server full: {} prompt tokens are waiting and this request adds {} (limit {})",
                queued_tokens_, seq->queued_tokens, config_.max_queued_tokens));
        }
        ++n_queued_;
        queued_tokens_ += seq->queued_tokens;
        arrivals_.push_back(std::move(seq));
    }
    wake_.notify_one();
    return handle;
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // The thread is gone: its state is ours now. Tell every sink.
    take_arrivals();
    for (auto& seq : running_) finish(*seq, FinishReason::Cancelled);
    for (auto& seq : waiting_) finish(*seq, FinishReason::Cancelled);
    running_.clear();
    waiting_.clear();
    std::lock_guard lock(mu_);
    n_queued_ = 0;
    queued_tokens_ = 0;
}

SchedulerSnapshot Scheduler::snapshot() const {
    std::lock_guard lock(mu_);
    return snapshot_;
}

Scheduler::QueueDepth Scheduler::queue_depth() const {
    std::lock_guard lock(mu_);
    return {.n_requests = n_queued_, .n_prompt_tokens = queued_tokens_};
}

SteadyClock::time_point Scheduler::last_heartbeat() const {
    return SteadyClock::time_point(
        std::chrono::nanoseconds(heartbeat_ns_.load(std::memory_order_relaxed)));
}

void Scheduler::loop() {
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (stopping_) return;
        }
        if (config_.before_step) config_.before_step();
        const bool worked = step();
        heartbeat_ns_.store(ns_since_epoch(SteadyClock::now()), std::memory_order_relaxed);
        if (!worked) {
            std::unique_lock lock(mu_);
            wake_.wait_for(lock, config_.idle_tick,
                           [this] { return stopping_ || !arrivals_.empty(); });
        }
    }
}

void Scheduler::take_arrivals() {
    std::lock_guard lock(mu_);
    while (!arrivals_.empty()) {
        waiting_.push_back(std::move(arrivals_.front()));
        arrivals_.pop_front();
    }
}

void Scheduler::expire_and_cancel(SteadyClock::time_point now) {
    const auto due = [now](const Sequence& s) {
        if (s.handle->cancelled()) return std::optional(FinishReason::Cancelled);
        if (now >= s.request.deadline) return std::optional(FinishReason::Timeout);
        return std::optional<FinishReason>();
    };
    for (auto& seq : running_) {
        if (auto reason = due(*seq)) finish(*seq, *reason);
    }
    int64_t dequeued_tokens = 0;
    int32_t dequeued = 0;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (auto reason = due(**it)) {
            dequeued_tokens += (*it)->queued_tokens;
            ++dequeued;
            finish(**it, *reason);
            it = waiting_.erase(it);
        } else {
            ++it;
        }
    }
    if (dequeued > 0) {
        std::lock_guard lock(mu_);
        n_queued_ -= dequeued;
        queued_tokens_ -= dequeued_tokens;
    }
}

bool Scheduler::step() {
    take_arrivals();
    const auto t0 = SteadyClock::now();
    expire_and_cancel(t0);
    remove_finished();
    if (running_.empty() && waiting_.empty()) {
        publish_snapshot(0, 0, 0);
        return false;
    }
    std::vector<Sequence*> batch;
    int64_t budget = config_.max_batch_tokens;
    plan_decodes(batch, budget);
    int64_t prefill_budget = std::min(budget, prefill_budget_beside(batch.size()));
    int64_t n_prompt = 0;
    plan_prefills(batch, prefill_budget, n_prompt);
    plan_admissions(batch, prefill_budget, n_prompt);
    if (batch.empty()) {
        publish_snapshot(0, 0, 0);
        return false;
    }
    int64_t n_prefill = 0, n_decode = 0;
    for (const Sequence* s : batch) (s->pending() == 1 ? n_decode : n_prefill) += s->chunk_tokens;
    run_batch(batch);
    remove_finished();
    const std::chrono::duration<double> took = SteadyClock::now() - t0;
    publish_snapshot(took.count(), n_prefill, n_decode);
    return true;
}

int64_t Scheduler::prefill_budget_beside(size_t n_decoding) const {
    // Prompt tokens share a step with the decoders' tokens, so they delay everyone's next
    // token. With decoders waiting, take only what the measured prefill rate computes within
    // the step target (at least one block, so prefill always progresses).
    const double target = std::chrono::duration<double>(config_.prefill_step_target).count();
    if (n_decoding == 0 || target <= 0 || prefill_rate_ <= 0) return config_.max_batch_tokens;
    const auto affordable = static_cast<int64_t>(prefill_rate_ * target);
    return std::clamp<int64_t>(affordable, kv_->block_size(), config_.max_batch_tokens);
}

void Scheduler::plan_decodes(std::vector<Sequence*>& batch, int64_t& budget) {
    // Oldest first: under memory pressure the newest sequences give way (preempt_newest_for),
    // and those are never already in `batch`, which holds only older ones.
    for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
        Sequence& s = *running_[i];
        if (s.pending() != 1) continue;
        bool still_running = true;
        while (!blocks_.reserve(s.blocks, s.n_computed + 1).ok()) {
            if (!preempt_newest_for(s)) {
                still_running = false;
                break;
            }
        }
        if (!still_running) break;  // `s` was the newest: nothing after it is left
        s.chunk_tokens = 1;
        batch.push_back(&s);
        budget -= 1;
    }
}

bool Scheduler::takes_another_prompt(int64_t n_prompt) const {
    return config_.prefill_solo_tokens == 0 || n_prompt < config_.prefill_solo_tokens;
}

void Scheduler::plan_prefills(std::vector<Sequence*>& batch, int64_t& budget, int64_t& n_prompt) {
    for (auto& seq : running_) {
        if (budget <= 0 || !takes_another_prompt(n_prompt)) return;
        Sequence& s = *seq;
        if (s.pending() <= 1) continue;
        // Blocks for the whole prompt were reserved at admission.
        s.chunk_tokens = std::min(s.pending(), budget);
        batch.push_back(&s);
        budget -= s.chunk_tokens;
        n_prompt += s.chunk_tokens;
    }
}

void Scheduler::plan_admissions(std::vector<Sequence*>& batch, int64_t& budget, int64_t& n_prompt) {
    int64_t admitted_tokens = 0;
    int32_t admitted = 0;
    while (budget > 0 && takes_another_prompt(n_prompt) && !waiting_.empty() &&
           static_cast<int32_t>(running_.size()) < config_.max_running) {
        Sequence& s = *waiting_.front();
        const int64_t matched = blocks_.match_prefix(s.tokens, s.blocks, !s.lookup_counted);
        s.lookup_counted = true;
        // Reserve the whole prompt and the first generated token's position now, so the
        // prefill never waits halfway and the first decode step does not preempt at once.
        const int64_t n_positions =
            std::min<int64_t>(static_cast<int64_t>(s.tokens.size()) + 1, config_.n_ctx);
        if (!blocks_.reserve(s.blocks, n_positions).ok()) {
            blocks_.release(s.blocks);  // arrival order: the head waits for running ones
            break;
        }
        s.n_computed = matched;
        s.n_committed_blocks = static_cast<int32_t>(matched / kv_->block_size());
        if (!s.ever_scheduled) {
            s.ever_scheduled = true;
            s.scheduled_at = SteadyClock::now();
            s.stats.n_cached_tokens = matched;
            s.stats.queue_time = s.scheduled_at - s.submitted_at;
            if (metrics_) metrics_->on_admitted(s.stats.queue_time.count(), s.n_prompt, matched);
        }
        s.chunk_tokens = std::min(s.pending(), budget);
        budget -= s.chunk_tokens;
        n_prompt += s.chunk_tokens;
        admitted_tokens += s.queued_tokens;
        ++admitted;
        running_.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
        batch.push_back(running_.back().get());
    }
    if (admitted > 0) {
        std::lock_guard lock(mu_);
        n_queued_ -= admitted;
        queued_tokens_ -= admitted_tokens;
    }
}

bool Scheduler::preempt_newest_for(const Sequence& needy) {
    std::unique_ptr<Sequence> victim = std::move(running_.back());
    running_.pop_back();
    const bool was_needy = victim.get() == &needy;
    blocks_.release(victim->blocks);
    victim->n_computed = 0;
    victim->n_committed_blocks = 0;
    victim->stats.n_preemptions++;
    victim->queued_tokens = static_cast<int64_t>(victim->tokens.size());
    obs::logger("engine")->debug("preempted request {} ({} tokens to recompute)",
                                 victim->request.id, victim->tokens.size());
    if (metrics_) metrics_->preemptions.inc();
    {
        std::lock_guard lock(mu_);
        ++n_queued_;
        queued_tokens_ += victim->queued_tokens;
        ++snapshot_.preemptions;
    }
    waiting_.push_front(std::move(victim));
    return !was_needy;
}

void Scheduler::run_batch(std::span<Sequence* const> batch) {
    chunks_.clear();
    for (Sequence* s : batch) {
        const bool completes =
            s->n_computed + s->chunk_tokens == static_cast<int64_t>(s->tokens.size());
        chunks_.push_back(model::SequenceChunk{
            .tokens = std::span<const int32_t>(s->tokens).subspan(
                static_cast<size_t>(s->n_computed), static_cast<size_t>(s->chunk_tokens)),
            .pos0 = s->n_computed,
            .blocks = &s->blocks,
            .logits = completes ? model::LogitsMode::Last : model::LogitsMode::None});
    }
    const Status status = decoder_.forward(chunks_, *kv_, logits_);
    if (!status.ok()) {
        // Inputs were validated at admission, so this is an engine bug: fail the batch, keep
        // serving.
        obs::logger("engine")->error("decoder step failed: {}", status.to_string());
        for (Sequence* s : batch) finish(*s, FinishReason::Error, status);
        return;
    }
    const int64_t n_vocab = model_->hparams().n_vocab;
    const auto now = SteadyClock::now();
    size_t row = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
        Sequence& s = *batch[i];
        s.n_computed += s.chunk_tokens;
        s.n_committed_blocks =
            blocks_.commit(s.tokens, s.n_computed, s.blocks, s.n_committed_blocks);
        if (chunks_[i].logits == model::LogitsMode::None) continue;
        after_logits(s,
                     std::span<float>(logits_).subspan(row * static_cast<size_t>(n_vocab),
                                                       static_cast<size_t>(n_vocab)),
                     now);
        ++row;
    }
}

void Scheduler::after_logits(Sequence& s, std::span<float> logits, SteadyClock::time_point now) {
    const EngineRequest& r = s.request;
    const bool want_logprobs = r.n_logprobs >= 0;
    float log_z = 0;
    if (want_logprobs) {
        // Of the model's own distribution: taken before the sampler applies penalties and
        // temperature to `logits` in place.
        log_z = log_normalizer(logits);
        top_logprobs(logits, log_z, r.n_logprobs, s.logprobs.top);
        raw_logits_.assign(logits.begin(), logits.end());
    }
    const int32_t token = s.sampler.sample(logits, s.tokens);
    if (want_logprobs) s.logprobs.logprob = raw_logits_[static_cast<size_t>(token)] - log_z;
    s.tokens.push_back(token);
    ++s.n_generated;
    if (s.n_generated == 1) {
        s.first_token_at = now;
        s.stats.prefill_time = now - s.scheduled_at;
        if (metrics_)
            metrics_->ttft.observe(std::chrono::duration<double>(now - s.submitted_at).count());
    } else if (metrics_) {
        metrics_->itl.observe(std::chrono::duration<double>(now - s.last_token_at).count());
    }
    s.last_token_at = now;
    if (metrics_) metrics_->generated_tokens.inc();

    const TokenEvent event{.token = token,
                           .index = s.n_generated - 1,
                           .logprobs = want_logprobs ? &s.logprobs : nullptr};
    const TokenAction action = r.sink->on_token(event);
    if (action == TokenAction::Stop) {
        finish(s, FinishReason::Stop);
    } else if ((!r.ignore_eos && contains(config_.eog_token_ids, token)) ||
               contains(r.stop_token_ids, token)) {
        finish(s, FinishReason::Stop);
    } else if (s.n_generated >= r.max_tokens ||
               static_cast<int64_t>(s.tokens.size()) >= config_.n_ctx) {
        finish(s, FinishReason::Length);
    }
}

void Scheduler::finish(Sequence& s, FinishReason reason, Status error) {
    if (s.finished) return;
    s.finished = true;
    blocks_.release(s.blocks);
    const auto now = SteadyClock::now();
    s.stats.n_prompt_tokens = s.n_prompt;
    s.stats.n_generated_tokens = s.n_generated;
    s.stats.total_time = now - s.submitted_at;
    if (!s.ever_scheduled) s.stats.queue_time = s.stats.total_time;
    if (s.n_generated > 0) s.stats.decode_time = now - s.first_token_at;
    if (metrics_) metrics_->on_finished(reason, s.stats);
    Completion completion{.reason = reason, .error = std::move(error), .stats = s.stats};
    s.request.sink->on_finish(completion);
}

void Scheduler::remove_finished() {
    std::erase_if(running_, [](const std::unique_ptr<Sequence>& s) { return s->finished; });
}

void Scheduler::publish_snapshot(double step_seconds, int64_t n_prefill, int64_t n_decode) {
    if (step_seconds > 0) {
        if (n_prefill > 0) prefill_rate_ = smooth(prefill_rate_, n_prefill / step_seconds);
        if (n_decode > 0) decode_rate_ = smooth(decode_rate_, n_decode / step_seconds);
        if (metrics_) metrics_->on_step(step_seconds, n_prefill + n_decode);
    }
    std::lock_guard lock(mu_);
    SchedulerSnapshot& snap = snapshot_;
    snap.n_waiting = n_queued_;
    snap.n_running = static_cast<int32_t>(running_.size());
    snap.queued_prompt_tokens = queued_tokens_;
    snap.kv_blocks_in_use = blocks_.n_in_use();
    snap.kv_blocks_cached = blocks_.n_cached();
    snap.prefix_cache = blocks_.stats();
    if (step_seconds > 0) ++snap.steps;
    snap.prefill_tokens_per_second = prefill_rate_;
    snap.decode_tokens_per_second = decode_rate_;
    snap.estimated_queue_seconds =
        prefill_rate_ > 0 ? static_cast<double>(queued_tokens_) / prefill_rate_ : 0.0;
    if (metrics_) metrics_->publish(snap);
}

}  // namespace glmserve::engine
