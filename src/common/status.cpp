#include "common/status.h"

#include <cstdio>
#include <cstdlib>

namespace glmserve {

std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::Ok: return "OK";
        case StatusCode::InvalidArgument: return "InvalidArgument";
        case StatusCode::NotFound: return "NotFound";
        case StatusCode::FailedPrecondition: return "FailedPrecondition";
        case StatusCode::ResourceExhausted: return "ResourceExhausted";
        case StatusCode::Unavailable: return "Unavailable";
        case StatusCode::DeadlineExceeded: return "DeadlineExceeded";
        case StatusCode::Cancelled: return "Cancelled";
        case StatusCode::Unimplemented: return "Unimplemented";
        case StatusCode::DataLoss: return "DataLoss";
        case StatusCode::Internal: return "Internal";
    }
    return "Unknown";
}

std::string Status::to_string() const {
    if (ok()) return "OK";
    std::string out(status_code_name(code_));
    out += ": ";
    out += message_;
    return out;
}

Status Status::with_context(std::string_view context) const {
    if (ok()) return *this;
    std::string msg(context);
    msg += ": ";
    msg += message_;
    return {code_, std::move(msg)};
}

namespace detail {
void check_failed(const char* file, int line, const char* condition) {
    std::fprintf(stderr, "GS_CHECK failed at %s:%d: %s\n", file, line, condition);
    std::fflush(stderr);
    std::abort();
}
}  // namespace detail

}  // namespace glmserve
