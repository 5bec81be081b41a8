// ApiError: the one place where a Status becomes an HTTP status and an OpenAI error body
// (STYLE.md §3).
//
//   code                                 HTTP  type                    code
//   InvalidArgument                      400   invalid_request_error   invalid_argument
//   FailedPrecondition                   400   invalid_request_error   failed_precondition
//   NotFound                             404   invalid_request_error   not_found
//   ResourceExhausted                    429   rate_limit_error        rate_limit_exceeded
//   Unimplemented                        501   not_implemented_error   not_implemented
//   Unavailable                          503   service_unavailable     server_overloaded
//   DeadlineExceeded                     504   timeout_error           timeout
//   Cancelled                            499   cancelled               cancelled
//   DataLoss, Internal (and a stray Ok)  500   server_error            internal_error
//
// Cancelled means the client has gone: callers log and count it and send nothing; 499 (the
// nginx "client closed request" convention) only gives logs and metrics a number. 401 and 403
// have no Status code, so unauthorized() and forbidden() build them directly.
//
// `param` convention: messages about one request field start with its path and ": "
// ("max_tokens: must be ...", "messages[2].content[0].type: ..."). When the text before the
// first ": " looks like a field path (identifiers joined by '.', each optionally followed by
// [index] parts) it becomes `param`. Anything else ("request body is not valid JSON: ...") has
// no param.
//
// Retry-After is only set for 429 and 503; their default is kDefaultRetryAfterSeconds.
// Thread: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace glmserve::server {

inline constexpr int kDefaultRetryAfterSeconds = 1;

struct ApiError {
    int http_status = 500;
    std::string type;
    std::string code;
    std::string message;
    std::optional<std::string> param;
    std::optional<int> retry_after_seconds;  // the Retry-After header; only for 429 and 503
};

// Maps `status` per the table above. `retry_after_seconds` is used for 429/503 (negative values
// become 0) and dropped for every other status.
ApiError api_error_from_status(const Status& status,
                               std::optional<int> retry_after_seconds = std::nullopt);

// 401 authentication_error / invalid_api_key.
ApiError unauthorized(std::string message);
// 403 permission_error / forbidden.
ApiError forbidden(std::string message);

// The field path at the start of `message` (see the file comment), if any.
std::optional<std::string> param_from_message(std::string_view message);

// {"error":{"message":...,"type":...,"param":...|null,"code":...}}. Invalid UTF-8 in the
// message is replaced by U+FFFD, never thrown on.
std::string error_body_json(const ApiError& error);

}  // namespace glmserve::server
