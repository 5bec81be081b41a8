#include "engine/request.h"

namespace glmserve::engine {

std::string_view finish_reason_name(FinishReason reason) {
    switch (reason) {
        case FinishReason::Length: return "length";
        case FinishReason::Stop: return "stop";
        case FinishReason::Cancelled: return "cancelled";
        case FinishReason::Timeout: return "timeout";
        case FinishReason::Error: return "error";
    }
    return "?";
}

}  // namespace glmserve::engine
