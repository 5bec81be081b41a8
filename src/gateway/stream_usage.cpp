// StreamUsage (see stream_usage.h).
#include "gateway/stream_usage.h"

#include <nlohmann/json.hpp>

#include "gateway/proxy_request.h"

namespace glmserve::gateway {
namespace {

constexpr size_t kMaxEventBytes = 256 * 1024;

// A cheap pre-check before parsing: `"usage"` followed by an object, not `null` (OpenAI
// repeats "usage":null in every chunk when include_usage is on).
bool mentions_usage_object(std::string_view data) {
    const size_t at = data.find("\"usage\"");
    if (at == std::string_view::npos) return false;
    const size_t value = data.find_first_not_of(" \t\r\n:", at + 7);
    return value != std::string_view::npos && data[value] == '{';
}

}  // namespace

StreamUsage::StreamUsage() : parser_(kMaxEventBytes) {}

void StreamUsage::feed(std::string_view bytes) {
    if (unreadable_) return;
    const Status status = parser_.feed(bytes, [this](const http::SseEvent& event) {
        if (event.data == "[DONE]") return;
        ++n_data_events_;
        if (!mentions_usage_object(event.data)) return;
        if (const auto total = usage_total_tokens(event.data)) reported_total_ = *total;
    });
    if (!status.ok()) unreadable_ = true;
}

std::optional<int64_t> StreamUsage::total_tokens(int64_t prompt_estimate) const {
    if (reported_total_) return *reported_total_;
    if (unreadable_) return std::nullopt;
    return prompt_estimate + n_data_events_;
}

}  // namespace glmserve::gateway
