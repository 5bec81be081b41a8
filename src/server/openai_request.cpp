// OpenAI request parsing and validation; see openai_request.h for the rules.
//
// Layout: body → JSON object (depth scan, non-throwing parse, SAX re-run only to explain a
// failure), then typed field getters that turn null into "absent" and every wrong type into
// InvalidArgument "<path>: must be ..., got ...", then one function per group of fields.
// Strings from the request are never echoed in messages except short role / type names.
#include "server/openai_request.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace glmserve::server {
namespace {

using json = nlohmann::json;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

Status field_error(std::string_view path, std::string_view what) {
    return invalid_argument(fmt::format("{}: {}", path, what));
}

// A short description of a value for "got ..." (numbers and booleans by value, the rest by
// kind, so request text is not reflected).
std::string describe(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
        case json::value_t::number_integer: return fmt::format("{}", v.get<int64_t>());
        case json::value_t::number_unsigned: return fmt::format("{}", v.get<uint64_t>());
        case json::value_t::number_float: return fmt::format("{}", v.get<double>());
        case json::value_t::string: return "a string";
        case json::value_t::array: return "an array";
        case json::value_t::object: return "an object";
        case json::value_t::binary:
        case json::value_t::discarded: break;
    }
    return "an unexpected value";
}

// A request string cut to at most `max_bytes` on a character boundary, for messages.
std::string short_text(const std::string& s, size_t max_bytes = 32) {
    if (s.size() <= max_bytes) return s;
    size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end) + "...";
}

// The member `key` of object `obj`; nullptr when absent or null.
const json* field(const json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

Result<int64_t> as_integer(const json& v, std::string_view path) {
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return static_cast<int64_t>(u);
        }
        return field_error(path, fmt::format("must be an integer, got {} (too large)", u));
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        // 2^63 is exact in a double; the range check keeps the cast defined.
        if (std::isfinite(d) && std::floor(d) == d && d >= -9223372036854775808.0 &&
            d < 9223372036854775808.0) {
            return static_cast<int64_t>(d);
        }
    }
    return field_error(path, fmt::format("must be an integer, got {}", describe(v)));
}

Result<std::optional<int64_t>> get_integer(const json* v, std::string_view path) {
    if (v == nullptr) return std::optional<int64_t>();
    GS_ASSIGN_OR_RETURN(const int64_t i, as_integer(*v, path));
    return std::optional<int64_t>(i);
}

// An integer in [lo, hi]; absent/null → nullopt.
Result<std::optional<int64_t>> get_integer_in(const json* v, std::string_view path, int64_t lo,
                                              int64_t hi) {
    GS_ASSIGN_OR_RETURN(const std::optional<int64_t> i, get_integer(v, path));
    if (i && (*i < lo || *i > hi)) {
        return field_error(path, fmt::format("must be an integer in [{}, {}], got {}", lo, hi, *i));
    }
    return i;
}

Result<std::optional<double>> get_number(const json* v, std::string_view path) {
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) {
        return field_error(path, fmt::format("must be a number, got {}", describe(*v)));
    }
    const double d = v->get<double>();
    if (!std::isfinite(d)) return field_error(path, "must be a finite number");
    return std::optional<double>(d);
}

Result<std::optional<bool>> get_bool(const json* v, std::string_view path) {
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_boolean()) {
        return field_error(path, fmt::format("must be a boolean, got {}", describe(*v)));
    }
    return std::optional<bool>(v->get<bool>());
}

Result<std::optional<std::string>> get_string(const json* v, std::string_view path) {
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) {
        return field_error(path, fmt::format("must be a string, got {}", describe(*v)));
    }
    return std::optional<std::string>(v->get<std::string>());
}

// ---- the body as a whole ----

// Linear scan for bracket depth outside strings; the parser never sees deeper documents.
Status check_depth(std::string_view body, int32_t max_depth) {
    int64_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : body) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                return invalid_argument(
                    fmt::format("request body is nested deeper than {} levels", max_depth));
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return ok_status();
}

// A SAX consumer that builds nothing; it tracks where in the document the parser is and keeps
// the parser's error, to explain a failed parse. Nesting is bounded by check_depth().
class ErrorSax final : public nlohmann::json_sax<json> {
public:
    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override {
        value();
        frames_.push_back({.object = true});
        return true;
    }
    bool key(string_t& k) override {
        frames_.back().key = short_text(k);
        return true;
    }
    bool end_object() override { return pop(); }
    bool start_array(std::size_t) override {
        value();
        frames_.push_back({.object = false});
        return true;
    }
    bool end_array() override { return pop(); }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& ex) override {
        what_ = ex.what();
        path_ = current_path();
        return false;
    }

    const std::string& what() const { return what_; }
    // The member or element being read when the error came ("messages[1].content").
    const std::string& path() const { return path_; }

private:
    struct Frame {
        bool object = false;
        std::string key;        // object: the current member
        size_t n_elements = 0;  // array: elements started so far
    };
    bool value() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().n_elements;
        return true;
    }
    bool pop() {
        if (!frames_.empty()) frames_.pop_back();
        return true;
    }
    std::string current_path() const {
        std::string path;
        for (size_t i = 0; i < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            if (f.object) {
                if (!path.empty()) path += '.';
                path += f.key;
            } else {
                // The innermost array is reading its next element; outer ones hold the
                // element that contains us.
                const bool innermost = i + 1 == frames_.size();
                const size_t index = innermost ? f.n_elements : f.n_elements - 1;
                path += fmt::format("[{}]", index);
            }
        }
        return path;
    }

    std::vector<Frame> frames_;
    std::string what_;
    std::string path_;
};

Status explain_parse_failure(std::string_view body) {
    ErrorSax sax;
    (void)json::sax_parse(body.begin(), body.end(), &sax);
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax error ...;
    // last read: '...'" — keep the location and reason, drop the tag and the echoed input.
    std::string reason = sax.what().empty() ? std::string("parse error") : sax.what();
    if (reason.rfind("[json.exception.", 0) == 0) {
        const size_t tag_end = reason.find("] ");
        if (tag_end != std::string::npos) reason.erase(0, tag_end + 2);
    }
    const size_t last_read = reason.find("; last read");
    if (last_read != std::string::npos) reason.resize(last_read);
    if (sax.what().find("out_of_range.406") != std::string::npos && !sax.path().empty()) {
        // "number overflow parsing '1e999'": a well-formed number no double can hold.
        return field_error(sax.path(), fmt::format("must be a finite number ({})", reason));
    }
    const bool utf8 =
        reason.find("UTF-8") != std::string::npos || reason.find("surrogate") != std::string::npos;
    return invalid_argument(
        fmt::format("request body is not valid {}JSON: {}", utf8 ? "UTF-8 " : "", reason));
}

Result<json> parse_object(std::string_view body, const RequestLimits& limits) {
    if (body.empty()) return invalid_argument("request body is empty; expected a JSON object");
    GS_RETURN_IF_ERROR(check_depth(body, limits.max_json_depth));
    json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return explain_parse_failure(body);
    if (!doc.is_object()) {
        return invalid_argument(
            fmt::format("request body must be a JSON object, got {}", describe(doc)));
    }
    return doc;
}

// ---- prompts and messages ----

Result<std::vector<int32_t>> parse_token_ids(const json& arr, std::string_view path) {
    if (arr.empty()) return field_error(path, "token id array is empty");
    std::vector<int32_t> ids;
    ids.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
        const std::string item_path = fmt::format("{}[{}]", path, i);
        GS_ASSIGN_OR_RETURN(const int64_t id, as_integer(arr[i], item_path));
        if (id < 0 || id > kInt32Max) {
            return field_error(item_path,
                               fmt::format("must be a token id in [0, {}], got {}", kInt32Max, id));
        }
        ids.push_back(static_cast<int32_t>(id));
    }
    return ids;
}

Result<std::vector<Prompt>> parse_prompts(const json* v, const RequestLimits& limits) {
    constexpr std::string_view kShape =
        "must be a string, an array of strings, an array of token ids or an array of token-id "
        "arrays";
    if (v == nullptr) return field_error("prompt", "is required");
    std::vector<Prompt> prompts;
    if (v->is_string()) {
        if (v->get_ref<const std::string&>().empty()) {
            return field_error("prompt", "is empty (the model needs at least one token)");
        }
        prompts.emplace_back(v->get<std::string>());
        return prompts;
    }
    if (!v->is_array())
        return field_error("prompt", fmt::format("{}, got {}", kShape, describe(*v)));
    if (v->empty()) return field_error("prompt", "is empty (the model needs at least one token)");
    if ((*v)[0].is_number()) {
        GS_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parse_token_ids(*v, "prompt"));
        prompts.emplace_back(std::move(ids));
        return prompts;
    }
    if (v->size() > static_cast<size_t>(limits.max_prompts)) {
        return field_error("prompt", fmt::format("has {} prompts; at most {} are allowed",
                                                 v->size(), limits.max_prompts));
    }
    const bool strings = (*v)[0].is_string();
    if (!strings && !(*v)[0].is_array()) {
        return field_error("prompt[0]",
                           fmt::format("must be a string, a token id or an array of token ids, "
                                       "got {}",
                                       describe((*v)[0])));
    }
    for (size_t i = 0; i < v->size(); ++i) {
        const json& item = (*v)[i];
        const std::string path = fmt::format("prompt[{}]", i);
        if (strings && item.is_string()) {
            if (item.get_ref<const std::string&>().empty()) return field_error(path, "is empty");
            prompts.emplace_back(item.get<std::string>());
        } else if (!strings && item.is_array()) {
            GS_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parse_token_ids(item, path));
            prompts.emplace_back(std::move(ids));
        } else {
            return field_error(
                path, fmt::format("must be {} like prompt[0], got {}",
                                  strings ? "a string" : "an array of token ids", describe(item)));
        }
    }
    return prompts;
}

bool is_media_part(std::string_view type) {
    return type == "image_url" || type == "input_image" || type == "image" ||
           type == "input_audio" || type == "audio" || type == "file";
}

// Concatenates the text parts of a content array (OpenAI joins them with nothing between).
Result<std::string> content_parts_text(const json& parts, std::string_view path) {
    std::string text;
    for (size_t j = 0; j < parts.size(); ++j) {
        const json& part = parts[j];
        const std::string part_path = fmt::format("{}[{}]", path, j);
        if (!part.is_object()) {
            return field_error(
                part_path, fmt::format("must be a content part object, got {}", describe(part)));
        }
        GS_ASSIGN_OR_RETURN(const std::optional<std::string> type,
                            get_string(field(part, "type"), part_path + ".type"));
        if (!type) return field_error(part_path + ".type", "is required");
        if (is_media_part(*type)) {
            return field_error(part_path, fmt::format("{} input needs a vision or audio model; "
                                                      "the loaded model is text-only",
                                                      short_text(*type)));
        }
        if (*type != "text") {
            return field_error(
                part_path + ".type",
                fmt::format("unsupported content part type '{}'; only 'text'", short_text(*type)));
        }
        GS_ASSIGN_OR_RETURN(const std::optional<std::string> part_text,
                            get_string(field(part, "text"), part_path + ".text"));
        if (!part_text) return field_error(part_path + ".text", "is required");
        text += *part_text;
    }
    return text;
}

Result<std::string> parse_role(const json& m, const std::string& path) {
    GS_ASSIGN_OR_RETURN(std::optional<std::string> role,
                        get_string(field(m, "role"), path + ".role"));
    if (!role) return field_error(path + ".role", "is required");
    if (*role == "developer") return std::string("system");
    if (*role == "system" || *role == "user" || *role == "assistant") return std::move(*role);
    if (*role == "tool" || *role == "function") {
        return field_error(path + ".role",
                           fmt::format("role '{}' is not supported (no tool calling)", *role));
    }
    return field_error(path + ".role",
                       fmt::format("must be one of system, developer, user, assistant; got '{}'",
                                   short_text(*role)));
}

Result<tokenizer::ChatMessage> parse_message(const json& m, size_t i) {
    const std::string path = fmt::format("messages[{}]", i);
    if (!m.is_object()) {
        return field_error(path, fmt::format("must be a message object, got {}", describe(m)));
    }
    tokenizer::ChatMessage message;
    GS_ASSIGN_OR_RETURN(message.role, parse_role(m, path));
    const json* tool_calls = field(m, "tool_calls");
    if (tool_calls != nullptr && !(tool_calls->is_array() && tool_calls->empty())) {
        return field_error(path + ".tool_calls", "tool calls are not supported");
    }
    const json* content = field(m, "content");
    const std::string content_path = path + ".content";
    if (content == nullptr) {
        if (message.role != "assistant") {
            return field_error(content_path, "is required (null only for assistant messages)");
        }
    } else if (content->is_string()) {
        message.content = content->get<std::string>();
    } else if (content->is_array()) {
        GS_ASSIGN_OR_RETURN(message.content, content_parts_text(*content, content_path));
    } else {
        return field_error(content_path,
                           fmt::format("must be a string or an array of content parts, got {}",
                                       describe(*content)));
    }
    return message;
}

Result<std::vector<tokenizer::ChatMessage>> parse_messages(const json* v,
                                                           const RequestLimits& limits) {
    if (v == nullptr) return field_error("messages", "is required");
    if (!v->is_array()) {
        return field_error("messages",
                           fmt::format("must be an array of messages, got {}", describe(*v)));
    }
    if (v->empty()) return field_error("messages", "is empty");
    if (v->size() > static_cast<size_t>(limits.max_messages)) {
        return field_error("messages", fmt::format("has {} messages; at most {} are allowed",
                                                   v->size(), limits.max_messages));
    }
    std::vector<tokenizer::ChatMessage> messages;
    messages.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
        GS_ASSIGN_OR_RETURN(tokenizer::ChatMessage m, parse_message((*v)[i], i));
        messages.push_back(std::move(m));
    }
    return messages;
}

// ---- generation parameters ----

struct FloatRule {
    const char* key;
    double lo;
    double hi;
    bool lo_open;
    float engine::SamplingParams::*dst;
};

constexpr FloatRule kFloatRules[] = {
    {"temperature", 0.0, 2.0, false, &engine::SamplingParams::temperature},
    {"top_p", 0.0, 1.0, true, &engine::SamplingParams::top_p},
    {"min_p", 0.0, 1.0, false, &engine::SamplingParams::min_p},
    {"presence_penalty", -2.0, 2.0, false, &engine::SamplingParams::presence_penalty},
    {"frequency_penalty", -2.0, 2.0, false, &engine::SamplingParams::frequency_penalty},
    {"repetition_penalty", 0.0, 10.0, true, &engine::SamplingParams::repetition_penalty},
};

Result<uint64_t> parse_seed(const json& v) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    GS_ASSIGN_OR_RETURN(const int64_t s, as_integer(v, "seed"));
    return static_cast<uint64_t>(s);  // two's complement: deterministic for negative seeds
}

Status parse_sampling(const json& root, GenerationRequest& req) {
    for (const FloatRule& rule : kFloatRules) {
        GS_ASSIGN_OR_RETURN(const std::optional<double> x,
                            get_number(field(root, rule.key), rule.key));
        if (!x) continue;
        const bool above_lo = rule.lo_open ? *x > rule.lo : *x >= rule.lo;
        if (!above_lo || *x > rule.hi) {
            return field_error(rule.key,
                               fmt::format("must be a number in {}{}, {}], got {}",
                                           rule.lo_open ? "(" : "[", rule.lo, rule.hi, *x));
        }
        req.sampling.*rule.dst = static_cast<float>(*x);
    }
    GS_ASSIGN_OR_RETURN(const std::optional<int64_t> top_k,
                        get_integer(field(root, "top_k"), "top_k"));
    if (top_k) {
        if (*top_k < -1 || *top_k > kInt32Max) {
            return field_error("top_k", fmt::format("must be -1 or 0 (off) or an integer in "
                                                    "[1, {}], got {}",
                                                    kInt32Max, *top_k));
        }
        req.sampling.top_k = *top_k <= 0 ? 0 : static_cast<int32_t>(*top_k);
    }
    if (const json* seed = field(root, "seed")) {
        GS_ASSIGN_OR_RETURN(req.sampling.seed, parse_seed(*seed));
        req.has_seed = true;
    }
    return ok_status();
}

Result<std::optional<int32_t>> parse_max_tokens(const json& root) {
    std::optional<int64_t> values[2];
    const char* keys[2] = {"max_tokens", "max_completion_tokens"};
    for (int i = 0; i < 2; ++i) {
        GS_ASSIGN_OR_RETURN(values[i], get_integer(field(root, keys[i]), keys[i]));
        if (!values[i]) continue;
        if (*values[i] < 1) {
            return field_error(keys[i], fmt::format("must be >= 1, got {}{}", *values[i],
                                                    *values[i] == 0 ? " (there is no echo, so 0 "
                                                                      "tokens would return nothing)"
                                                                    : ""));
        }
        if (*values[i] > kInt32Max) {
            return field_error(keys[i],
                               fmt::format("must be at most {}, got {}", kInt32Max, *values[i]));
        }
    }
    if (values[0] && values[1] && *values[0] != *values[1]) {
        return field_error(
            "max_completion_tokens",
            fmt::format("is {} but max_tokens is {}; give one of them", *values[1], *values[0]));
    }
    const std::optional<int64_t> v = values[1] ? values[1] : values[0];
    if (!v) return std::optional<int32_t>();
    return std::optional<int32_t>(static_cast<int32_t>(*v));
}

Status parse_stop(const json* v, const RequestLimits& limits, std::vector<std::string>& out) {
    if (v == nullptr) return ok_status();
    const auto check_one = [&](const json& s, const std::string& path) -> Status {
        if (!s.is_string()) {
            return field_error(path, fmt::format("must be a string, got {}", describe(s)));
        }
        const auto& text = s.get_ref<const std::string&>();
        if (text.empty()) return field_error(path, "must not be empty");
        if (text.size() > static_cast<size_t>(limits.max_stop_bytes)) {
            return field_error(path, fmt::format("is {} bytes; at most {} are allowed", text.size(),
                                                 limits.max_stop_bytes));
        }
        out.push_back(text);
        return ok_status();
    };
    if (v->is_string()) return check_one(*v, "stop");
    if (!v->is_array()) {
        return field_error(
            "stop", fmt::format("must be a string or an array of strings, got {}", describe(*v)));
    }
    if (v->size() > static_cast<size_t>(limits.max_stop_strings)) {
        return field_error("stop", fmt::format("has {} strings; at most {} are allowed", v->size(),
                                               limits.max_stop_strings));
    }
    for (size_t i = 0; i < v->size(); ++i) {
        GS_RETURN_IF_ERROR(check_one((*v)[i], fmt::format("stop[{}]", i)));
    }
    return ok_status();
}

Status parse_logprobs(const json& root, const RequestLimits& limits, GenerationRequest& req) {
    if (req.endpoint == Endpoint::Completions) {
        const json* v = field(root, "logprobs");
        if (v != nullptr && v->is_boolean()) {
            return field_error("logprobs", fmt::format("must be an integer in [0, {}] (the number "
                                                       "of alternatives) or null, got {}",
                                                       limits.max_logprobs, describe(*v)));
        }
        GS_ASSIGN_OR_RETURN(const std::optional<int64_t> n,
                            get_integer_in(v, "logprobs", 0, limits.max_logprobs));
        req.logprobs = n.has_value();
        req.top_logprobs = static_cast<int32_t>(n.value_or(0));
        return ok_status();
    }
    GS_ASSIGN_OR_RETURN(const std::optional<bool> on,
                        get_bool(field(root, "logprobs"), "logprobs"));
    GS_ASSIGN_OR_RETURN(
        const std::optional<int64_t> top,
        get_integer_in(field(root, "top_logprobs"), "top_logprobs", 0, limits.max_logprobs));
    req.logprobs = on.value_or(false);
    if (top && !req.logprobs) return field_error("top_logprobs", "needs logprobs: true");
    req.top_logprobs = static_cast<int32_t>(top.value_or(0));
    return ok_status();
}

Status parse_stream(const json& root, GenerationRequest& req) {
    GS_ASSIGN_OR_RETURN(const std::optional<bool> stream,
                        get_bool(field(root, "stream"), "stream"));
    req.stream = stream.value_or(false);
    const json* options = field(root, "stream_options");
    if (options == nullptr) return ok_status();
    if (!options->is_object()) {
        return field_error("stream_options",
                           fmt::format("must be an object, got {}", describe(*options)));
    }
    if (!req.stream) return field_error("stream_options", "is only allowed when stream is true");
    GS_ASSIGN_OR_RETURN(const std::optional<bool> usage,
                        get_bool(field(*options, "include_usage"), "stream_options.include_usage"));
    req.include_usage = usage.value_or(false);
    return ok_status();
}

Status parse_misc(const json& root, const RequestLimits& limits, GenerationRequest& req) {
    GS_ASSIGN_OR_RETURN(const std::optional<std::string> model,
                        get_string(field(root, "model"), "model"));
    req.model = model.value_or("");
    GS_ASSIGN_OR_RETURN(const std::optional<std::string> user,
                        get_string(field(root, "user"), "user"));
    req.user = user.value_or("");
    GS_ASSIGN_OR_RETURN(const std::optional<int64_t> n,
                        get_integer_in(field(root, "n"), "n", 1, limits.max_n));
    req.n = static_cast<int32_t>(n.value_or(1));
    GS_ASSIGN_OR_RETURN(const std::optional<bool> ignore_eos,
                        get_bool(field(root, "ignore_eos"), "ignore_eos"));
    req.ignore_eos = ignore_eos.value_or(false);
    GS_ASSIGN_OR_RETURN(const std::optional<double> timeout_s,
                        get_number(field(root, "timeout"), "timeout"));
    req.timeout = limits.default_timeout;
    if (timeout_s) {
        const double max_s = static_cast<double>(limits.max_timeout.count()) / 1000.0;
        if (!(*timeout_s > 0.0) || *timeout_s > max_s) {
            return field_error("timeout", fmt::format("must be a number of seconds in (0, {}], "
                                                      "got {}",
                                                      max_s, *timeout_s));
        }
        req.timeout =
            std::chrono::milliseconds(static_cast<int64_t>(std::ceil(*timeout_s * 1000.0)));
    }
    return ok_status();
}

// Known fields whose meaning we cannot honour: refused, never ignored.
Status check_unsupported(const json& root) {
    GS_ASSIGN_OR_RETURN(const std::optional<bool> echo, get_bool(field(root, "echo"), "echo"));
    if (echo.value_or(false)) return field_error("echo", "true is not supported");
    GS_ASSIGN_OR_RETURN(const std::optional<int64_t> best_of,
                        get_integer(field(root, "best_of"), "best_of"));
    if (best_of && *best_of != 1) {
        return field_error("best_of", fmt::format("only 1 is supported, got {}", *best_of));
    }
    GS_ASSIGN_OR_RETURN(const std::optional<std::string> suffix,
                        get_string(field(root, "suffix"), "suffix"));
    if (suffix && !suffix->empty()) {
        return field_error("suffix", "is not supported (no fill-in-the-middle)");
    }
    if (const json* bias = field(root, "logit_bias")) {
        if (!bias->is_object()) {
            return field_error("logit_bias",
                               fmt::format("must be an object, got {}", describe(*bias)));
        }
        if (!bias->empty()) return field_error("logit_bias", "is not supported");
    }
    for (const char* key : {"tools", "functions"}) {
        const json* v = field(root, key);
        if (v != nullptr && !(v->is_array() && v->empty())) {
            return field_error(key, "tool calling is not supported");
        }
    }
    if (const json* format = field(root, "response_format")) {
        if (!format->is_object()) {
            return field_error("response_format",
                               fmt::format("must be an object, got {}", describe(*format)));
        }
        GS_ASSIGN_OR_RETURN(const std::optional<std::string> type,
                            get_string(field(*format, "type"), "response_format.type"));
        if (type.value_or("text") != "text") {
            return field_error(
                "response_format.type",
                fmt::format("'{}' is not supported; only 'text'", short_text(*type)));
        }
    }
    return ok_status();
}

// engine::validate's messages start with the field name and a space ("top_k must be ...");
// rewrite to the "field: ..." convention so the 400 carries `param`.
Status engine_check(const engine::SamplingParams& sampling) {
    Status s = engine::validate(sampling);
    if (s.ok()) return s;
    const std::string& msg = s.message();
    const size_t space = msg.find(' ');
    if (space == std::string::npos) return invalid_argument(msg);
    return invalid_argument(fmt::format("{}: {}", msg.substr(0, space), msg.substr(space + 1)));
}

}  // namespace

Result<GenerationRequest> parse_generation_request(std::string_view body, Endpoint endpoint,
                                                   const RequestLimits& limits) {
    GS_ASSIGN_OR_RETURN(const json root, parse_object(body, limits));
    GenerationRequest req;
    req.endpoint = endpoint;
    if (endpoint == Endpoint::Completions) {
        GS_ASSIGN_OR_RETURN(req.prompts, parse_prompts(field(root, "prompt"), limits));
    } else {
        GS_ASSIGN_OR_RETURN(req.messages, parse_messages(field(root, "messages"), limits));
    }
    GS_RETURN_IF_ERROR(check_unsupported(root));
    GS_ASSIGN_OR_RETURN(req.max_tokens, parse_max_tokens(root));
    GS_RETURN_IF_ERROR(parse_sampling(root, req));
    GS_RETURN_IF_ERROR(parse_stop(field(root, "stop"), limits, req.stop));
    GS_RETURN_IF_ERROR(parse_logprobs(root, limits, req));
    GS_RETURN_IF_ERROR(parse_stream(root, req));
    GS_RETURN_IF_ERROR(parse_misc(root, limits, req));
    GS_RETURN_IF_ERROR(engine_check(req.sampling));
    return req;
}

Result<TokenizeRequest> parse_tokenize_request(std::string_view body, const RequestLimits& limits) {
    GS_ASSIGN_OR_RETURN(const json root, parse_object(body, limits));
    TokenizeRequest req;
    GS_ASSIGN_OR_RETURN(req.prompt, get_string(field(root, "prompt"), "prompt"));
    const json* messages = field(root, "messages");
    if (req.prompt && messages != nullptr) {
        return field_error("messages", "give either prompt or messages, not both");
    }
    if (!req.prompt && messages == nullptr) {
        return field_error("prompt", "is required (or give messages)");
    }
    if (messages != nullptr) {
        GS_ASSIGN_OR_RETURN(req.messages, parse_messages(messages, limits));
    }
    GS_ASSIGN_OR_RETURN(const std::optional<bool> add_special,
                        get_bool(field(root, "add_special"), "add_special"));
    req.add_special = add_special.value_or(true);
    GS_ASSIGN_OR_RETURN(const std::optional<bool> add_generation_prompt,
                        get_bool(field(root, "add_generation_prompt"), "add_generation_prompt"));
    req.add_generation_prompt = add_generation_prompt.value_or(true);
    return req;
}

Result<std::vector<int32_t>> parse_detokenize_request(std::string_view body,
                                                      const RequestLimits& limits) {
    GS_ASSIGN_OR_RETURN(const json root, parse_object(body, limits));
    const json* tokens = field(root, "tokens");
    if (tokens == nullptr) return field_error("tokens", "is required");
    if (!tokens->is_array()) {
        return field_error("tokens",
                           fmt::format("must be an array of token ids, got {}", describe(*tokens)));
    }
    if (tokens->empty()) return std::vector<int32_t>();
    return parse_token_ids(*tokens, "tokens");
}

}  // namespace glmserve::server
