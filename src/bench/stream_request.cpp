// Streaming request building and response measurement; see stream_request.h.
#include "bench/stream_request.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace glmserve::bench {

using nlohmann::json;

namespace {

constexpr size_t kMaxErrorBodyBytes = 512;

double seconds_between(StreamMeasurer::TimePoint a, StreamMeasurer::TimePoint b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace

http::ClientRequest build_request(const RequestParams& params, const Prompt& prompt) {
    json body = {
        {"model", params.model}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
    if (params.api == ApiKind::ChatCompletions) {
        json messages = json::array({{{"role", "user"}, {"content", prompt.prompt}}});
        if (!prompt.messages_json.empty()) {
            // Written by prompts.cpp from a parsed array, so it parses back.
            messages = json::parse(prompt.messages_json, nullptr, false);
        }
        body["messages"] = std::move(messages);
    } else {
        body["prompt"] = prompt.prompt;
    }
    const std::optional<int64_t> max_tokens =
        prompt.max_tokens ? prompt.max_tokens : params.max_tokens;
    if (max_tokens) body["max_tokens"] = *max_tokens;
    if (params.ignore_eos) body["ignore_eos"] = true;

    http::ClientRequest request;
    request.method = "POST";
    request.target =
        params.api == ApiKind::ChatCompletions ? "/v1/chat/completions" : "/v1/completions";
    request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("Accept", "text/event-stream");
    add_api_key(params.api_key, request);
    request.body = body.dump();
    return request;
}

void add_api_key(const std::string& api_key, http::ClientRequest& request) {
    if (!api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + api_key);
}

StreamMeasurer::StreamMeasurer(ApiKind api, uint64_t index, double start_s,
                               int64_t n_tokens_prompt_estimate, TimePoint t0)
    : api_(api), t0_(t0), last_token_(t0) {
    record_.index = index;
    record_.start_s = start_s;
    record_.n_tokens_prompt = n_tokens_prompt_estimate;
}

void StreamMeasurer::on_head(int http_status) {
    head_seen_ = true;
    record_.http_status = http_status;
}

void StreamMeasurer::on_body(std::string_view bytes, TimePoint now) {
    if (record_.http_status != 200) {
        const size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, error_body_.size());
        error_body_.append(bytes.substr(0, room));
        return;
    }
    if (bad_) return;
    const Status parsed =
        parser_.feed(bytes, [&](const http::SseEvent& event) { on_event(event, now); });
    if (!parsed.ok()) fail(fmt::format("SSE: {}", parsed.message()));
}

void StreamMeasurer::fail(std::string message) {
    if (bad_) return;
    bad_ = true;
    record_.error = std::move(message);
}

void StreamMeasurer::on_token(TimePoint now) {
    if (n_token_events_ == 0) {
        record_.ttft_s = seconds_between(t0_, now);
    } else {
        record_.add_gap(seconds_between(last_token_, now));
    }
    last_token_ = now;
    ++n_token_events_;
}

namespace {

// The chunk's text: choices[0].text, or delta.content / delta.reasoning_content for chat.
std::string_view chunk_text(const json& chunk, ApiKind api) {
    const auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
    const json& choice = (*choices)[0];
    if (!choice.is_object()) return {};
    const auto text_of = [](const json& obj, const char* key) -> std::string_view {
        const auto it = obj.find(key);
        if (it == obj.end() || !it->is_string()) return {};
        return it->get_ref<const std::string&>();
    };
    if (api == ApiKind::Completions) return text_of(choice, "text");
    const auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) return {};
    std::string_view text = text_of(*delta, "content");
    return text.empty() ? text_of(*delta, "reasoning_content") : text;
}

std::optional<int64_t> usage_count(const json& usage, const char* key) {
    const auto it = usage.find(key);
    if (it == usage.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
}

}  // namespace

void StreamMeasurer::on_event(const http::SseEvent& event, TimePoint now) {
    if (bad_) return;
    if (saw_done_) return fail("data after [DONE]");
    if (event.data == "[DONE]") {
        saw_done_ = true;
        return;
    }
    const json chunk = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    if (chunk.is_discarded() || !chunk.is_object()) return fail("SSE data is not a JSON object");
    if (chunk.contains("error")) return fail("error event: " + chunk["error"].dump());
    if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
        usage_prompt_ = usage_count(*usage, "prompt_tokens");
        usage_completion_ = usage_count(*usage, "completion_tokens");
    }
    if (!chunk_text(chunk, api_).empty()) on_token(now);
}

RequestRecord StreamMeasurer::finish(const Status& transport, TimePoint now) {
    record_.e2e_s = seconds_between(t0_, now);
    if (usage_completion_) {
        record_.n_tokens_generated = *usage_completion_;
        record_.tokens_from_usage = true;
        if (usage_prompt_) record_.n_tokens_prompt = *usage_prompt_;
    } else {
        record_.n_tokens_generated = n_token_events_;
    }
    switch (transport.code()) {
        case StatusCode::Ok: break;
        case StatusCode::Unavailable: record_.outcome = Outcome::ConnectError; break;
        case StatusCode::DeadlineExceeded:
        case StatusCode::Cancelled: record_.outcome = Outcome::Timeout; break;
        default:
            // DataLoss: a stream already found bad stays BadResponse.
            record_.outcome = head_seen_ && !bad_ ? Outcome::StreamCut : Outcome::BadResponse;
            break;
    }
    if (!transport.ok()) {
        if (record_.error.empty()) record_.error = transport.message();
    } else if (record_.http_status != 200) {
        record_.outcome = Outcome::HttpError;
        record_.error = error_body_;
    } else if (bad_) {
        record_.outcome = Outcome::BadResponse;
    } else if (!saw_done_) {
        record_.outcome = Outcome::StreamCut;
        record_.error = "stream ended without data: [DONE]";
    }
    return std::move(record_);
}

}  // namespace glmserve::bench
