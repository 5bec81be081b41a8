// POST /v1/completions and /v1/chat/completions: validate, tokenize, check the caller's limits,
// submit one engine request per choice, and let a GenerationJob answer.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "server/openai_server.h"

namespace glmserve::server {

int OpenAiServer::retry_after_seconds() const {
    // When the queue should have room again, from the engine's recent prefill throughput.
    const double seconds = scheduler_->snapshot().estimated_queue_seconds;
    return static_cast<int>(std::clamp(std::ceil(seconds), 1.0, 60.0));
}

Result<std::vector<std::vector<int32_t>>> OpenAiServer::prompt_tokens(
    const GenerationRequest& r) const {
    std::vector<std::vector<int32_t>> prompts;
    if (r.endpoint == Endpoint::ChatCompletions) {
        if (!chat_template_) {
            return invalid_argument(
                "messages: this model has no chat template glmserve knows; use /v1/completions "
                "or start the server with --chat-template");
        }
        GS_ASSIGN_OR_RETURN(std::string text,
                            tokenizer::render_chat(*chat_template_, r.messages, true));
        // The template carries the model's prefix tokens ([gMASK]<sop>, ...): no BOS on top.
        GS_ASSIGN_OR_RETURN(
            auto ids, tokenizer_->encode(text, {.add_special = false, .parse_special = true}));
        prompts.push_back(std::move(ids));
    } else {
        for (const Prompt& p : r.prompts) {
            if (const auto* text = std::get_if<std::string>(&p)) {
                GS_ASSIGN_OR_RETURN(auto ids, tokenizer_->encode(*text, {.add_special = true,
                                                                         .parse_special = true}));
                prompts.push_back(std::move(ids));
            } else {
                prompts.push_back(std::get<std::vector<int32_t>>(p));
            }
        }
    }
    for (const auto& ids : prompts) {
        if (ids.empty()) return invalid_argument("prompt: has no tokens");
    }
    return prompts;
}

void OpenAiServer::handle_generation(const http::Request& request, const Call& call,
                                     Endpoint endpoint,
                                     const std::shared_ptr<http::ResponseWriter>& writer) {
    if (draining()) {
        respond_error(
            call, *writer,
            api_error_from_status(unavailable("the server is draining"), retry_after_seconds()),
            "draining");
        return;
    }
    Result<GenerationRequest> parsed =
        parse_generation_request(request.body, endpoint, config_.request_limits);
    if (!parsed.ok()) {
        respond_error(call, *writer, api_error_from_status(parsed.status()), "bad_request");
        return;
    }
    GenerationRequest& r = *parsed;
    if (!r.model.empty() && r.model != config_.model_name) {
        ApiError error = api_error_from_status(
            not_found(fmt::format("model: '{}' is not served here; this server serves '{}'",
                                  r.model, config_.model_name)));
        error.code = "model_not_found";
        respond_error(call, *writer, error, "not_found");
        return;
    }
    Result<std::vector<std::vector<int32_t>>> prompts = prompt_tokens(r);
    if (!prompts.ok()) {
        respond_error(call, *writer, api_error_from_status(prompts.status()), "bad_request");
        return;
    }
    int64_t n_prompt_total = 0, n_longest = 0;
    for (const auto& p : *prompts) {
        n_prompt_total += static_cast<int64_t>(p.size());
        n_longest = std::max<int64_t>(n_longest, static_cast<int64_t>(p.size()));
    }
    const int64_t n_ctx = scheduler_->n_ctx();
    // Without max_tokens a request may fill the context, as OpenAI-compatible servers do.
    const int64_t max_tokens = r.max_tokens ? *r.max_tokens : n_ctx - n_longest;
    if (max_tokens <= 0) {
        respond_error(
            call, *writer,
            api_error_from_status(invalid_argument(fmt::format(
                "prompt: {} tokens fill the whole context of {} tokens", n_longest, n_ctx))),
            "too_long");
        return;
    }
    const auto n_choices = static_cast<int32_t>(prompts->size()) * r.n;
    const int64_t estimate = n_prompt_total + max_tokens * n_choices;
    if (call.key) {
        const http::RateLimiter::Decision d = limiter_->try_acquire(call.key->index, estimate);
        if (!d.allowed) {
            respond_error(
                call, *writer,
                api_error_from_status(
                    resource_exhausted(fmt::format(
                        "rate limit of key '{}' reached ({} per minute); retry in {} s",
                        call.key->name, http::limit_name(d.limit), d.retry_after.count())),
                    static_cast<int>(d.retry_after.count())),
                "rate_limited");
            return;
        }
    }

    JobParams params{
        .endpoint = endpoint,
        .stream = r.stream,
        .include_usage = r.include_usage,
        .logprobs = r.logprobs,
        .id = make_completion_id(endpoint == Endpoint::ChatCompletions ? "chatcmpl" : "cmpl",
                                 next_seed()),
        .created = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count(),
        .model = config_.model_name,
        .n = r.n,
        .stop = r.stop,
        .tokenizer = tokenizer_.get(),
        .writer = writer,
        .headers = {{"X-Request-Id", call.id}},
    };
    for (const auto& p : *prompts) params.prompt_tokens.push_back(static_cast<int64_t>(p.size()));
    params.on_done = [this, call, estimate](const JobSummary& summary) {
        log_request(call, summary.http_status, &summary);
        if (call.key) {
            limiter_->adjust_tokens(call.key->index,
                                    summary.prompt_tokens + summary.completion_tokens - estimate);
        }
    };
    auto job = GenerationJob::create(std::move(params));
    const auto deadline = call.received_at + r.timeout;
    const Status submitted = job->submit([&](int32_t choice) {
        engine::SamplingParams sampling = r.sampling;
        // Choice k of a seeded request uses seed + k: reproducible, and the n choices differ.
        sampling.seed =
            r.has_seed ? r.sampling.seed + static_cast<uint64_t>(choice % r.n) : next_seed();
        return scheduler_->try_submit(engine::EngineRequest{
            .id = fmt::format("{}/{}", call.id, choice),
            .prompt = (*prompts)[static_cast<size_t>(choice / r.n)],
            .max_tokens = static_cast<int32_t>(std::min<int64_t>(max_tokens, INT32_MAX)),
            .sampling = sampling,
            .ignore_eos = r.ignore_eos,
            .n_logprobs = r.logprobs ? r.top_logprobs : -1,
            .deadline = deadline,
            .sink = job->sink(choice)});
    });
    if (!submitted.ok()) {
        if (call.key) limiter_->adjust_tokens(call.key->index, -estimate);
        // The engine counted the refusal itself (glmserve_requests_rejected_total).
        respond_error(call, *writer, api_error_from_status(submitted, retry_after_seconds()));
    }
}

}  // namespace glmserve::server
