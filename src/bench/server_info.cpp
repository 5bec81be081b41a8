// Model discovery and tokenizer calibration before a bench run; see server_info.h.
#include "bench/server_info.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "bench/fetch.h"

namespace glmserve::bench {

using nlohmann::json;

namespace {

Result<json> parse_json_object(std::string_view text) {
    json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        return unavailable(
            fmt::format("the answer is not a JSON object: {}", body_excerpt(std::string(text))));
    }
    return body;
}

Status http_error(const FetchReply& reply) {
    // A refused key would otherwise read as "pass --model", which cannot help.
    const bool refused = reply.http_status == 401 || reply.http_status == 403;
    return unavailable(fmt::format("HTTP {}{}: {}", reply.http_status,
                                   refused ? " (check --api-key)" : "", body_excerpt(reply.body)));
}

}  // namespace

Result<std::string> parse_models_reply(std::string_view text) {
    GS_ASSIGN_OR_RETURN(const json body, parse_json_object(text));
    const auto data = body.find("data");
    if (data == body.end() || !data->is_array()) {
        return unavailable("the answer has no \"data\" array");
    }
    if (data->empty()) return not_found("the server lists no models (\"data\" is empty)");
    const json& first = (*data)[0];
    if (!first.is_object() || !first.contains("id") || !first["id"].is_string() ||
        first["id"].get_ref<const std::string&>().empty()) {
        return unavailable("data[0] has no non-empty string \"id\"");
    }
    return first["id"].get<std::string>();
}

Result<int64_t> parse_tokenize_reply(std::string_view text) {
    GS_ASSIGN_OR_RETURN(const json body, parse_json_object(text));
    if (const auto count = body.find("count"); count != body.end()) {
        if (!count->is_number_integer() || count->get<int64_t>() < 0) {
            return unavailable("\"count\" is not a non-negative integer");
        }
        return count->get<int64_t>();
    }
    const auto tokens = body.find("tokens");
    if (tokens == body.end() || !tokens->is_array()) {
        return unavailable("the answer has neither \"count\" nor a \"tokens\" array");
    }
    return static_cast<int64_t>(tokens->size());
}

Result<std::string> discover_model(const RunnerConfig& config) {
    http::ClientRequest request{.method = "GET", .target = "/v1/models"};
    request.headers.emplace_back("Accept", "application/json");
    GS_ASSIGN_OR_RETURN(const FetchReply reply, fetch(config, std::move(request)));
    auto model = reply.http_status == 200 ? parse_models_reply(reply.body)
                                          : Result<std::string>(http_error(reply));
    if (!model.ok()) {
        return model.status().with_context("GET " + config.base_url.to_string() + "/v1/models");
    }
    return model;
}

Result<double> measure_tokens_per_word(const RunnerConfig& config, const std::string& model,
                                       const std::string& sample, int64_t n_words) {
    if (n_words <= 0) return invalid_argument("the calibration sample has no words");
    http::ClientRequest request{.method = "POST", .target = "/tokenize"};
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = json{{"model", model}, {"prompt", sample}}.dump();
    GS_ASSIGN_OR_RETURN(const FetchReply reply, fetch(config, std::move(request)));
    const std::string what = "POST " + config.base_url.to_string() + "/tokenize";
    auto count = reply.http_status == 200 ? parse_tokenize_reply(reply.body)
                                          : Result<int64_t>(http_error(reply));
    if (!count.ok()) return count.status().with_context(what);
    const double ratio = static_cast<double>(*count) / static_cast<double>(n_words);
    if (ratio < kMinTokensPerWord || ratio > kMaxTokensPerWord) {
        return unavailable(fmt::format("{}: {} tokens for {} words is not a plausible tokenizer",
                                       what, *count, n_words));
    }
    return ratio;
}

}  // namespace glmserve::bench
