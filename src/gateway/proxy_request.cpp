#include "gateway/proxy_request.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <random>

namespace glmserve::gateway {
namespace {

using json = nlohmann::json;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Appends the text of a chat message's content: a string, or the "text" parts of a list.
void append_content(const json& content, std::string& out) {
    if (content.is_string()) {
        out += content.get_ref<const std::string&>();
        return;
    }
    if (!content.is_array()) return;
    for (const json& part : content) {
        if (!part.is_object()) continue;
        const auto text = part.find("text");
        if (text != part.end() && text->is_string()) out += text->get_ref<const std::string&>();
    }
}

// `s` cut to at most `n` bytes without splitting a UTF-8 sequence.
std::string utf8_prefix(std::string s, size_t n) {
    if (s.size() <= n) return s;
    size_t end = n;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s.resize(end);
    return s;
}

size_t prompt_chars(const json& body) {
    size_t n = 0;
    if (const auto p = body.find("prompt"); p != body.end()) {
        if (p->is_string()) n += p->get_ref<const std::string&>().size();
        if (p->is_array()) {
            for (const json& e : *p) {
                if (e.is_string()) n += e.get_ref<const std::string&>().size();
                if (e.is_number_integer()) n += 4;  // a token id is one token
            }
        }
    }
    if (const auto m = body.find("messages"); m != body.end() && m->is_array()) {
        for (const json& msg : *m) {
            if (!msg.is_object()) continue;
            std::string text;
            if (const auto c = msg.find("content"); c != msg.end()) append_content(*c, text);
            n += text.size();
        }
    }
    return n;
}

int64_t integer_field(const json& body, const char* name, int64_t fallback) {
    const auto it = body.find(name);
    if (it == body.end() || !it->is_number_integer()) return fallback;
    return it->get<int64_t>();
}

}  // namespace

bool is_hop_by_hop(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kHopByHop = {
        "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "trailers"};
    if (istarts_with(name, "proxy-")) return true;
    return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                       [&](std::string_view h) { return iequals(h, name); });
}

std::vector<std::pair<std::string, std::string>> upstream_request_headers(
    const http::Request& request, std::string_view request_id) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string forwarded_for;
    for (const auto& [name, value] : request.headers) {
        if (is_hop_by_hop(name) || iequals(name, "host") || iequals(name, "content-length") ||
            iequals(name, "x-request-id") || iequals(name, "expect")) {
            continue;
        }
        if (iequals(name, "x-forwarded-for")) {
            forwarded_for = value;
            continue;
        }
        out.emplace_back(name, value);
    }
    out.emplace_back("X-Request-Id", std::string(request_id));
    out.emplace_back("X-Forwarded-For", forwarded_for.empty()
                                            ? request.remote_address
                                            : forwarded_for + ", " + request.remote_address);
    return out;
}

http::Headers client_response_headers(const http::ResponseHead& head) {
    http::Headers out;
    for (const auto& [name, value] : head.headers) {
        if (is_hop_by_hop(name) || iequals(name, "content-length") ||
            iequals(name, "content-type")) {
            continue;
        }
        out.emplace_back(name, value);
    }
    return out;
}

std::string_view response_header(const http::ResponseHead& head, std::string_view name) {
    for (const auto& [n, v] : head.headers) {
        if (iequals(n, name)) return v;
    }
    return {};
}

std::string affinity_key(const json& body, size_t prefix_chars) {
    if (!body.is_object()) return {};
    std::string key;
    if (const auto p = body.find("prompt"); p != body.end()) {
        if (p->is_string()) key = p->get<std::string>();
        if (p->is_array() && !p->empty() && p->front().is_string()) {
            key = p->front().get<std::string>();
        }
    } else if (const auto m = body.find("messages"); m != body.end() && m->is_array()) {
        for (const json& msg : *m) {
            if (key.size() >= prefix_chars) break;
            if (!msg.is_object()) continue;
            if (const auto r = msg.find("role"); r != msg.end() && r->is_string()) {
                key += r->get_ref<const std::string&>();
                key += ':';
            }
            if (const auto c = msg.find("content"); c != msg.end()) append_content(*c, key);
            key += '\n';
        }
    }
    return utf8_prefix(std::move(key), prefix_chars);
}

int64_t estimate_tokens(const json& body) {
    if (!body.is_object()) return 1;
    constexpr int64_t kDefaultMaxTokens = 256;
    constexpr int64_t kLimit = int64_t{1} << 32;  // keeps the product far from overflow
    int64_t completion = integer_field(body, "max_tokens", -1);
    if (completion < 0)
        completion = integer_field(body, "max_completion_tokens", kDefaultMaxTokens);
    const int64_t n = std::clamp<int64_t>(integer_field(body, "n", 1), 1, 128);
    const auto prompt = static_cast<int64_t>(std::min<size_t>(prompt_chars(body) / 4, kLimit));
    return std::max<int64_t>(1, (prompt + std::clamp<int64_t>(completion, 0, kLimit)) * n);
}

int64_t estimate_prompt_tokens(const json& body) {
    if (!body.is_object()) return 1;
    constexpr size_t kLimit = size_t{1} << 32;
    const int64_t n = std::clamp<int64_t>(integer_field(body, "n", 1), 1, 128);
    const auto prompt = static_cast<int64_t>(std::min<size_t>(prompt_chars(body) / 4, kLimit));
    return std::max<int64_t>(1, prompt * n);
}

std::optional<int64_t> usage_total_tokens(std::string_view body) {
    const json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    const auto usage = j.find("usage");
    if (usage == j.end() || !usage->is_object()) return std::nullopt;
    const auto total = usage->find("total_tokens");
    if (total == usage->end() || !total->is_number_integer()) return std::nullopt;
    return std::max<int64_t>(total->get<int64_t>(), 0);
}

std::string error_body(std::string_view message, std::string_view type, std::string_view code) {
    return json{{"error", {{"message", message}, {"type", type}, {"code", code}}}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
}

http::Response error_response(int status, std::string_view message, std::string_view type,
                              std::string_view code) {
    return {.status = status,
            .content_type = "application/json",
            .headers = {},
            .body = error_body(message, type, code)};
}

std::string sse_error_event(std::string_view message, std::string_view code) {
    return fmt::format("data: {}\n\n", error_body(message, "upstream_error", code));
}

std::string mint_request_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}", rng());
}

}  // namespace glmserve::gateway
