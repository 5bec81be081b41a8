// OpenAI response JSON; see openai_response.h for the shapes.
#include "server/openai_response.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace glmserve::server {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// JSON has no -Infinity; tokens sampling could not pick get OpenAI's floor value.
double clamp_logprob(float lp) {
    if (!std::isfinite(lp) || lp < kMinLogprob) return kMinLogprob;
    return lp;
}

json finish_json(std::string_view reason) {
    return reason.empty() ? json(nullptr) : json(std::string(reason));
}

json usage_json(const Usage& usage) {
    json u = {
        {"prompt_tokens", usage.prompt_tokens},
        {"completion_tokens", usage.completion_tokens},
        {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
    };
    if (usage.cached_prompt_tokens) {
        u["prompt_tokens_details"] = {{"cached_tokens", *usage.cached_prompt_tokens}};
    }
    return u;
}

json envelope(const ResponseMeta& meta, std::string_view object) {
    return {
        {"id", std::string(meta.id)},
        {"object", std::string(object)},
        {"created", meta.created},
        {"model", std::string(meta.model)},
    };
}

// Completions logprobs: parallel arrays; text_offset counts bytes from `text_offset`.
json completion_logprobs_json(std::span<const TokenLogprob> logprobs, int64_t text_offset) {
    json tokens = json::array();
    json token_logprobs = json::array();
    json top_logprobs = json::array();
    json offsets = json::array();
    int64_t offset = text_offset;
    for (const TokenLogprob& t : logprobs) {
        tokens.push_back(t.token);
        token_logprobs.push_back(clamp_logprob(t.logprob));
        json top = json::object();
        for (const TopLogprob& alt : t.top) {
            // emplace keeps the first entry for a repeated text (the list is most likely first).
            top.emplace(alt.token, clamp_logprob(alt.logprob));
        }
        top_logprobs.push_back(std::move(top));
        offsets.push_back(offset);
        offset += static_cast<int64_t>(t.token.size());
    }
    return {
        {"tokens", std::move(tokens)},
        {"token_logprobs", std::move(token_logprobs)},
        {"top_logprobs", std::move(top_logprobs)},
        {"text_offset", std::move(offsets)},
    };
}

json bytes_json(std::string_view token) {
    json bytes = json::array();
    for (const char c : token) bytes.push_back(static_cast<unsigned char>(c));
    return bytes;
}

json chat_logprobs_json(std::span<const TokenLogprob> logprobs) {
    json content = json::array();
    for (const TokenLogprob& t : logprobs) {
        json top = json::array();
        for (const TopLogprob& alt : t.top) {
            top.push_back({{"token", alt.token},
                           {"logprob", clamp_logprob(alt.logprob)},
                           {"bytes", bytes_json(alt.token)}});
        }
        content.push_back({{"token", t.token},
                           {"logprob", clamp_logprob(t.logprob)},
                           {"bytes", bytes_json(t.token)},
                           {"top_logprobs", std::move(top)}});
    }
    return {{"content", std::move(content)}};
}

json choice_logprobs(const Choice& c, bool chat) {
    if (!c.logprobs) return nullptr;
    return chat ? chat_logprobs_json(*c.logprobs) : completion_logprobs_json(*c.logprobs, 0);
}

json delta_logprobs(const ChoiceDelta& d, bool chat) {
    if (!d.logprobs_requested) return nullptr;
    return chat ? chat_logprobs_json(d.logprobs)
                : completion_logprobs_json(d.logprobs, d.text_offset);
}

json delta_finish(const ChoiceDelta& d) {
    return d.finish_reason ? finish_json(*d.finish_reason) : json(nullptr);
}

std::string chat_chunk(const ResponseMeta& meta, int32_t index, json delta, json logprobs,
                       json finish_reason) {
    json body = envelope(meta, "chat.completion.chunk");
    body["choices"] = json::array({{
        {"index", index},
        {"delta", std::move(delta)},
        {"logprobs", std::move(logprobs)},
        {"finish_reason", std::move(finish_reason)},
    }});
    return dump(body);
}

}  // namespace

std::string make_completion_id(std::string_view prefix, uint64_t random) {
    return fmt::format("{}-{:016x}", prefix, random);
}

std::string completion_response(const ResponseMeta& meta, std::span<const Choice> choices,
                                const Usage& usage) {
    json body = envelope(meta, "text_completion");
    json out = json::array();
    for (const Choice& c : choices) {
        out.push_back({
            {"index", c.index},
            {"text", c.text},
            {"logprobs", choice_logprobs(c, /*chat=*/false)},
            {"finish_reason", finish_json(c.finish_reason)},
        });
    }
    body["choices"] = std::move(out);
    body["usage"] = usage_json(usage);
    return dump(body);
}

std::string chat_completion_response(const ResponseMeta& meta, std::span<const Choice> choices,
                                     const Usage& usage) {
    json body = envelope(meta, "chat.completion");
    json out = json::array();
    for (const Choice& c : choices) {
        out.push_back({
            {"index", c.index},
            {"message", {{"role", "assistant"}, {"content", c.text}}},
            {"logprobs", choice_logprobs(c, /*chat=*/true)},
            {"finish_reason", finish_json(c.finish_reason)},
        });
    }
    body["choices"] = std::move(out);
    body["usage"] = usage_json(usage);
    return dump(body);
}

std::string completion_chunk(const ResponseMeta& meta, const ChoiceDelta& delta) {
    json body = envelope(meta, "text_completion");
    body["choices"] = json::array({{
        {"index", delta.index},
        {"text", std::string(delta.text)},
        {"logprobs", delta_logprobs(delta, /*chat=*/false)},
        {"finish_reason", delta_finish(delta)},
    }});
    return dump(body);
}

std::string chat_chunk_role(const ResponseMeta& meta, int32_t index) {
    return chat_chunk(meta, index, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr);
}

std::string chat_chunk_content(const ResponseMeta& meta, const ChoiceDelta& delta) {
    return chat_chunk(meta, delta.index, {{"content", std::string(delta.text)}},
                      delta_logprobs(delta, /*chat=*/true), delta_finish(delta));
}

std::string chat_chunk_finish(const ResponseMeta& meta, int32_t index,
                              std::string_view finish_reason) {
    return chat_chunk(meta, index, json::object(), nullptr, finish_json(finish_reason));
}

std::string usage_chunk(const ResponseMeta& meta, Endpoint endpoint, const Usage& usage) {
    json body = envelope(
        meta, endpoint == Endpoint::ChatCompletions ? "chat.completion.chunk" : "text_completion");
    body["choices"] = json::array();
    body["usage"] = usage_json(usage);
    return dump(body);
}

std::string sse_event(std::string_view json_text) {
    std::string out;
    out.reserve(json_text.size() + 8);
    size_t begin = 0;
    while (true) {
        const size_t end = json_text.find('\n', begin);
        out += "data: ";
        out += json_text.substr(begin, end == std::string_view::npos ? end : end - begin);
        out += '\n';
        if (end == std::string_view::npos) break;
        begin = end + 1;
    }
    out += '\n';
    return out;
}

std::string sse_error_event(const ApiError& error) {
    return sse_event(error_body_json(error));
}

std::string models_response(std::span<const ModelInfo> models) {
    json data = json::array();
    for (const ModelInfo& m : models) {
        data.push_back({
            {"id", m.id},
            {"object", "model"},
            {"created", m.created},
            {"owned_by", m.owned_by},
            {"max_model_len", m.max_model_len},
        });
    }
    return dump({{"object", "list"}, {"data", std::move(data)}});
}

std::string tokenize_response(std::span<const int32_t> tokens, int64_t max_model_len) {
    return dump({
        {"tokens", json(std::vector<int32_t>(tokens.begin(), tokens.end()))},
        {"count", tokens.size()},
        {"max_model_len", max_model_len},
    });
}

std::string detokenize_response(std::string_view text) {
    return dump({{"prompt", std::string(text)}});
}

}  // namespace glmserve::server
