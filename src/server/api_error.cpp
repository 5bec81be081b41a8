// Status → HTTP status and OpenAI error body; see api_error.h for the table.
#include "server/api_error.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace glmserve::server {
namespace {

struct Mapping {
    int http_status;
    const char* type;
    const char* code;
};

Mapping mapping_for(StatusCode code) {
    switch (code) {
        case StatusCode::InvalidArgument: return {400, "invalid_request_error", "invalid_argument"};
        case StatusCode::FailedPrecondition:
            return {400, "invalid_request_error", "failed_precondition"};
        case StatusCode::NotFound: return {404, "invalid_request_error", "not_found"};
        case StatusCode::ResourceExhausted: return {429, "rate_limit_error", "rate_limit_exceeded"};
        case StatusCode::Unimplemented: return {501, "not_implemented_error", "not_implemented"};
        case StatusCode::Unavailable: return {503, "service_unavailable", "server_overloaded"};
        case StatusCode::DeadlineExceeded: return {504, "timeout_error", "timeout"};
        case StatusCode::Cancelled: return {499, "cancelled", "cancelled"};
        case StatusCode::Ok:
        case StatusCode::DataLoss:
        case StatusCode::Internal: break;
    }
    return {500, "server_error", "internal_error"};
}

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

// identifier ('[' digits ']')* — returns the position after it, or npos.
size_t scan_segment(std::string_view s, size_t pos) {
    if (pos >= s.size() || !is_ident_start(s[pos])) return std::string_view::npos;
    while (pos < s.size() && is_ident_char(s[pos])) ++pos;
    while (pos < s.size() && s[pos] == '[') {
        size_t digits = pos + 1;
        while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
        if (digits == pos + 1 || digits >= s.size() || s[digits] != ']') {
            return std::string_view::npos;
        }
        pos = digits + 1;
    }
    return pos;
}

bool is_field_path(std::string_view s) {
    size_t pos = 0;
    while (true) {
        pos = scan_segment(s, pos);
        if (pos == std::string_view::npos) return false;
        if (pos == s.size()) return true;
        if (s[pos] != '.') return false;
        ++pos;
    }
}

}  // namespace

std::optional<std::string> param_from_message(std::string_view message) {
    const size_t colon = message.find(": ");
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view head = message.substr(0, colon);
    if (!is_field_path(head)) return std::nullopt;
    return std::string(head);
}

ApiError api_error_from_status(const Status& status, std::optional<int> retry_after_seconds) {
    const Mapping m = mapping_for(status.code());
    ApiError error{
        .http_status = m.http_status,
        .type = m.type,
        .code = m.code,
        .message = status.ok() ? std::string("internal error: an OK status was reported as an "
                                             "error")
                               : status.message(),
    };
    if (status.code() == StatusCode::InvalidArgument ||
        status.code() == StatusCode::FailedPrecondition || status.code() == StatusCode::NotFound) {
        error.param = param_from_message(error.message);
    }
    if (error.http_status == 429 || error.http_status == 503) {
        error.retry_after_seconds =
            std::max(0, retry_after_seconds.value_or(kDefaultRetryAfterSeconds));
    }
    return error;
}

ApiError unauthorized(std::string message) {
    return ApiError{.http_status = 401,
                    .type = "authentication_error",
                    .code = "invalid_api_key",
                    .message = std::move(message)};
}

ApiError forbidden(std::string message) {
    return ApiError{.http_status = 403,
                    .type = "permission_error",
                    .code = "forbidden",
                    .message = std::move(message)};
}

std::string error_body_json(const ApiError& error) {
    nlohmann::json inner = {
        {"message", error.message},
        {"type", error.type},
        {"param", nullptr},
        {"code", error.code},
    };
    if (error.param) inner["param"] = *error.param;
    const nlohmann::json body = {{"error", std::move(inner)}};
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace glmserve::server
