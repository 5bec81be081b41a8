#include "server/generation_job.h"

#include <fmt/format.h>

#include <algorithm>

#include "server/api_error.h"

namespace glmserve::server {

struct GenerationJob::Choice {
    Choice(int32_t i, const tokenizer::Tokenizer& tok, std::vector<std::string> stops)
        : index(i), decoder(tok), stop(std::move(stops)) {}

    int32_t index;
    tokenizer::StreamDecoder decoder;
    StopMatcher stop;
    std::string text;                    // everything emitted so far
    std::vector<TokenLogprob> logprobs;  // every token's (not streaming)
    std::vector<TokenLogprob> pending;   // tokens whose text is not emitted yet (streaming)
    bool role_sent = false;              // chat: the first chunk of the choice went out
    bool finish_sent = false;
    bool finished = false;
    engine::Completion completion;
};

class GenerationJob::Sink final : public engine::RequestSink {
public:
    Sink(std::shared_ptr<GenerationJob> job, int32_t choice)
        : job_(std::move(job)), choice_(choice) {}
    engine::TokenAction on_token(const engine::TokenEvent& event) override {
        return job_->on_token(choice_, event);
    }
    void on_finish(const engine::Completion& completion) override {
        job_->on_finish(choice_, completion);
    }

private:
    std::shared_ptr<GenerationJob> job_;  // the engine holds the sink until on_finish
    int32_t choice_;
};

namespace {

std::string finish_reason_text(const engine::Completion& c) {
    return std::string(engine::finish_reason_name(c.reason));
}

}  // namespace

std::shared_ptr<GenerationJob> GenerationJob::create(JobParams params) {
    return std::shared_ptr<GenerationJob>(new GenerationJob(std::move(params)));
}

GenerationJob::GenerationJob(JobParams params) : params_(std::move(params)) {
    GS_CHECK(params_.tokenizer != nullptr && params_.writer != nullptr && params_.n >= 1);
    const auto n_choices = static_cast<int32_t>(params_.prompt_tokens.size()) * params_.n;
    for (int32_t i = 0; i < n_choices; ++i) {
        choices_.push_back(std::make_unique<Choice>(i, *params_.tokenizer, params_.stop));
    }
}

std::shared_ptr<engine::RequestSink> GenerationJob::sink(int32_t choice) {
    GS_CHECK(choice >= 0 && choice < n_choices());
    return std::make_shared<Sink>(shared_from_this(), choice);
}

Status GenerationJob::submit(const SubmitFn& submit_one) {
    {
        // Held across the submissions so that no choice's events are handled before every
        // choice is in (or the job has been aborted).
        std::lock_guard lock(mu_);
        for (int32_t i = 0; i < n_choices(); ++i) {
            Result<std::shared_ptr<engine::RequestHandle>> handle = submit_one(i);
            if (!handle.ok()) {
                aborted_ = true;
                for (auto& h : handles_) h->cancel();
                return handle.status();
            }
            handles_.push_back(std::move(handle).value());
        }
    }
    // Outside the lock: on_close runs the callback at once when the client is already gone.
    params_.writer->on_close([weak = weak_from_this()] {
        if (auto job = weak.lock()) job->cancel_all();
    });
    return ok_status();
}

void GenerationJob::cancel_all() {
    std::lock_guard lock(mu_);
    for (auto& h : handles_) h->cancel();
}

TokenLogprob GenerationJob::token_logprob(const engine::TokenEvent& event) const {
    const tokenizer::Tokenizer& tok = *params_.tokenizer;
    TokenLogprob lp{.token = tok.token_bytes(event.token, /*render_special=*/true),
                    .logprob = event.logprobs->logprob};
    for (const auto& [id, logprob] : event.logprobs->top) {
        lp.top.push_back({.token = tok.token_bytes(id, true), .logprob = logprob});
    }
    return lp;
}

engine::TokenAction GenerationJob::on_token(int32_t index, const engine::TokenEvent& event) {
    std::lock_guard lock(mu_);
    if (aborted_) return engine::TokenAction::Stop;
    Choice& c = *choices_[static_cast<size_t>(index)];
    if (params_.logprobs && event.logprobs != nullptr) c.pending.push_back(token_logprob(event));
    const StopMatcher::Step step = c.stop.push(c.decoder.push(event.token));
    emit(c, step.emit);
    return step.stopped ? engine::TokenAction::Stop : engine::TokenAction::Continue;
}

void GenerationJob::on_finish(int32_t index, const engine::Completion& completion) {
    std::lock_guard lock(mu_);
    Choice& c = *choices_[static_cast<size_t>(index)];
    c.finished = true;
    c.completion = completion;
    if (!aborted_ && !c.stop.stopped()) {
        // Ended for another reason: what the decoder and the stop matcher hold is output too.
        const StopMatcher::Step step = c.stop.push(c.decoder.flush());
        emit(c, step.emit);
        if (!step.stopped) emit(c, c.stop.flush());
    }
    if (!aborted_ && params_.stream && stream_started_) send_finish_chunk(c);
    if (++n_finished_ == n_choices()) complete();
}

void GenerationJob::emit(Choice& c, std::string text) {
    if (!params_.stream) {
        c.text += text;
        std::move(c.pending.begin(), c.pending.end(), std::back_inserter(c.logprobs));
        c.pending.clear();
        return;
    }
    if (text.empty()) return;  // pending logprobs ride with the next text
    start_stream();
    const ResponseMeta m = meta();
    const ChoiceDelta delta{.index = c.index,
                            .text = text,
                            .logprobs = c.pending,
                            .logprobs_requested = params_.logprobs,
                            .text_offset = static_cast<int64_t>(c.text.size())};
    if (params_.endpoint == Endpoint::ChatCompletions) {
        if (!c.role_sent) params_.writer->write(sse_event(chat_chunk_role(m, c.index)));
        c.role_sent = true;
        params_.writer->write(sse_event(chat_chunk_content(m, delta)));
    } else {
        params_.writer->write(sse_event(completion_chunk(m, delta)));
    }
    c.text += text;
    c.pending.clear();
}

void GenerationJob::start_stream() {
    if (stream_started_) return;
    stream_started_ = true;
    http::Headers headers = params_.headers;
    headers.emplace_back("Cache-Control", "no-cache");
    params_.writer->start_stream(200, "text/event-stream", std::move(headers));
}

void GenerationJob::send_finish_chunk(Choice& c) {
    if (c.finish_sent) return;
    c.finish_sent = true;
    const ResponseMeta m = meta();
    const std::string reason = finish_reason_text(c.completion);
    if (params_.endpoint == Endpoint::ChatCompletions) {
        if (!c.role_sent) params_.writer->write(sse_event(chat_chunk_role(m, c.index)));
        c.role_sent = true;
        params_.writer->write(sse_event(chat_chunk_finish(m, c.index, reason)));
    } else {
        const ChoiceDelta delta{.index = c.index,
                                .text = "",
                                .finish_reason = std::string_view(reason),
                                .logprobs = c.pending,
                                .logprobs_requested = params_.logprobs,
                                .text_offset = static_cast<int64_t>(c.text.size())};
        params_.writer->write(sse_event(completion_chunk(m, delta)));
        c.pending.clear();
    }
}

ResponseMeta GenerationJob::meta() const {
    return {.id = params_.id, .created = params_.created, .model = params_.model};
}

Usage GenerationJob::usage() const {
    Usage u;
    int64_t cached = 0;
    for (int64_t n : params_.prompt_tokens) u.prompt_tokens += n;
    for (const auto& c : choices_) {
        u.completion_tokens += c->completion.stats.n_generated_tokens;
        // The prompt is counted once however many choices share it.
        if (c->index % params_.n == 0) cached += c->completion.stats.n_cached_tokens;
    }
    u.cached_prompt_tokens = cached;
    return u;
}

void GenerationJob::complete() {
    if (aborted_) return;  // the submitter answered and logs
    JobSummary summary;
    const Usage u = usage();
    summary.prompt_tokens = u.prompt_tokens;
    summary.completion_tokens = u.completion_tokens;
    summary.cached_tokens = u.cached_prompt_tokens.value_or(0);
    for (const auto& c : choices_) {
        const engine::RequestStats& s = c->completion.stats;
        if (!summary.finish.empty()) summary.finish += ',';
        summary.finish += finish_reason_text(c->completion);
        summary.preemptions += s.n_preemptions;
        summary.queue_s = std::max(summary.queue_s, s.queue_time.count());
        summary.prefill_s = std::max(summary.prefill_s, s.prefill_time.count());
        summary.decode_s = std::max(summary.decode_s, s.decode_time.count());
    }
    if (params_.writer->closed()) {
        summary.http_status = 499;  // nginx's "client closed request": nothing to send
    } else if (params_.stream && stream_started_) {
        complete_stream(summary);
    } else {
        complete_whole(summary);
    }
    if (params_.on_done) params_.on_done(summary);
}

void GenerationJob::complete_stream(JobSummary& summary) {
    for (auto& c : choices_) send_finish_chunk(*c);
    const bool failed = std::any_of(choices_.begin(), choices_.end(), [](const auto& c) {
        return c->completion.reason == engine::FinishReason::Error;
    });
    if (failed) {
        params_.writer->write(
            sse_error_event(api_error_from_status(internal_error("the engine failed"))));
    }
    if (params_.include_usage) {
        params_.writer->write(sse_event(usage_chunk(meta(), params_.endpoint, usage())));
    }
    params_.writer->write(std::string(kSseDone));
    params_.writer->finish();
    summary.http_status = 200;
}

void GenerationJob::complete_whole(JobSummary& summary) {
    // Nothing has been sent: a failure can still be a proper status.
    const auto any = [&](engine::FinishReason r) {
        return std::any_of(choices_.begin(), choices_.end(),
                           [r](const auto& c) { return c->completion.reason == r; });
    };
    std::optional<Status> failure;
    if (any(engine::FinishReason::Error)) {
        failure = internal_error("the engine failed while generating");
    } else if (any(engine::FinishReason::Timeout)) {
        failure = deadline_exceeded(
            fmt::format("the request timed out after {:.1f} s in the queue and {} generated tokens",
                        summary.queue_s, summary.completion_tokens));
    } else if (any(engine::FinishReason::Cancelled)) {
        failure = unavailable("the server is shutting down");
    }
    if (failure) {
        const ApiError error = api_error_from_status(*failure);
        http::Response response{.status = error.http_status,
                                .headers = params_.headers,
                                .body = error_body_json(error)};
        summary.http_status = error.http_status;
        params_.writer->send(std::move(response));
        return;
    }
    if (params_.stream) {
        // Streaming, but every choice ended before any text (an end-of-generation token
        // first): the stream is nothing but the finish chunks.
        start_stream();
        complete_stream(summary);
        return;
    }
    std::vector<server::Choice> out;
    for (const auto& c : choices_) {
        server::Choice choice{
            .index = c->index, .text = c->text, .finish_reason = finish_reason_text(c->completion)};
        if (params_.logprobs) choice.logprobs = c->logprobs;
        out.push_back(std::move(choice));
    }
    const std::string body = params_.endpoint == Endpoint::ChatCompletions
                                 ? chat_completion_response(meta(), out, usage())
                                 : completion_response(meta(), out, usage());
    summary.http_status = 200;
    params_.writer->send({.status = 200, .headers = params_.headers, .body = body});
}

}  // namespace glmserve::server
