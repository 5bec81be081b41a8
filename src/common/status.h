// Status and Result<T>: how every fallible operation reports failure (STYLE.md §3).
//
// g++ 12 has no std::expected, so this is our own small version. Codes are abseil's canonical
// ones; the server maps them to HTTP statuses in one place. Both types are [[nodiscard]] so an
// ignored error is a compile warning (and an error under -Werror).
// Thread: values, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace glmserve {

enum class StatusCode : uint8_t {
    Ok = 0,
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,
    Cancelled,
    Unimplemented,
    DataLoss,
    Internal,
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok_status() { return {}; }

    bool ok() const { return code_ == StatusCode::Ok; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }

    // "InvalidArgument: message" (or "OK").
    std::string to_string() const;

    // Returns a copy whose message is "context: message"; keeps the code.
    Status with_context(std::string_view context) const;

private:
    StatusCode code_ = StatusCode::Ok;
    std::string message_;
};

inline Status ok_status() {
    return {};
}
inline Status invalid_argument(std::string msg) {
    return {StatusCode::InvalidArgument, std::move(msg)};
}
inline Status not_found(std::string msg) {
    return {StatusCode::NotFound, std::move(msg)};
}
inline Status failed_precondition(std::string msg) {
    return {StatusCode::FailedPrecondition, std::move(msg)};
}
inline Status resource_exhausted(std::string msg) {
    return {StatusCode::ResourceExhausted, std::move(msg)};
}
inline Status unavailable(std::string msg) {
    return {StatusCode::Unavailable, std::move(msg)};
}
inline Status deadline_exceeded(std::string msg) {
    return {StatusCode::DeadlineExceeded, std::move(msg)};
}
inline Status cancelled(std::string msg) {
    return {StatusCode::Cancelled, std::move(msg)};
}
inline Status unimplemented(std::string msg) {
    return {StatusCode::Unimplemented, std::move(msg)};
}
inline Status data_loss(std::string msg) {
    return {StatusCode::DataLoss, std::move(msg)};
}
inline Status internal_error(std::string msg) {
    return {StatusCode::Internal, std::move(msg)};
}

// Either a T or a non-OK Status. Accessing value() of an error is a programmer error (GS_CHECK).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
        GS_CHECK(!std::get<1>(state_).ok());
    }

    bool ok() const { return state_.index() == 0; }

    const Status& status() const {
        static const Status kOk;
        return ok() ? kOk : std::get<1>(state_);
    }

    T& value() & {
        GS_CHECK(ok());
        return std::get<0>(state_);
    }
    const T& value() const& {
        GS_CHECK(ok());
        return std::get<0>(state_);
    }
    T&& value() && {
        GS_CHECK(ok());
        return std::get<0>(std::move(state_));
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Status> state_;
};

namespace detail {
inline Status to_status(Status s) {
    return s;
}
template <typename T>
Status to_status(const Result<T>& r) {
    return r.status();
}
}  // namespace detail

}  // namespace glmserve

#define GS_CONCAT_INNER(a, b) a##b
#define GS_CONCAT(a, b) GS_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Status or Result) from the enclosing function.
#define GS_RETURN_IF_ERROR(expr)                                 \
    do {                                                         \
        auto&& gs_status_or_ = (expr);                           \
        if (!gs_status_or_.ok()) {                               \
            return ::glmserve::detail::to_status(gs_status_or_); \
        }                                                        \
    } while (false)

// `GS_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result or returns its error.
// It expands to several statements: brace it when it is the body of an `if`.
#define GS_ASSIGN_OR_RETURN(lhs, expr) \
    GS_ASSIGN_OR_RETURN_IMPL(GS_CONCAT(gs_result_, __LINE__), lhs, expr)
#define GS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
    auto tmp = (expr);                           \
    if (!tmp.ok()) return tmp.status();          \
    lhs = std::move(tmp).value()
