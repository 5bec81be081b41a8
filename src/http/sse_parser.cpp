// SseParser: see sse_parser.h. The parser works one byte at a time on the line level (so a CR
// at the end of one feed and an LF at the start of the next are one line end) and hands whole
// lines to on_line(), which applies the field rules of the WHATWG event-stream spec.
// Thread: a value type; one owner.
#include "http/sse_parser.h"

#include <fmt/format.h>

namespace glmserve::http {

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

Status SseParser::fail(std::string message) {
    error_ = data_loss(fmt::format("SSE line {}: {}", n_lines_ + 1, message));
    return error_;
}

Status SseParser::feed(std::string_view bytes,
                       const std::function<void(const SseEvent&)>& on_event) {
    if (!error_.ok()) return error_;
    for (char c : bytes) {
        if (skip_lf_) {
            skip_lf_ = false;
            if (c == '\n') continue;
        }
        if (c == '\r' || c == '\n') {
            skip_lf_ = c == '\r';
            GS_RETURN_IF_ERROR(on_line(on_event));
            line_.clear();
            ++n_lines_;
            continue;
        }
        if (c == '\0') return fail("NUL byte in an event stream");
        if (line_.size() + pending_.data.size() + pending_.event.size() >= max_event_bytes_) {
            return fail(fmt::format("event larger than {} bytes", max_event_bytes_));
        }
        line_.push_back(c);
    }
    return ok_status();
}

Status SseParser::on_line(const std::function<void(const SseEvent&)>& on_event) {
    if (line_.empty()) {
        // A blank line dispatches the event; one without data is dropped (spec).
        if (has_fields_ && !pending_.data.empty()) {
            pending_.data.pop_back();  // the '\n' after the last data line
            on_event(pending_);
        }
        pending_ = SseEvent{};
        has_fields_ = false;
        return ok_status();
    }
    if (line_.front() == ':') return ok_status();  // comment
    std::string_view line = line_;
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        pending_.data.append(value);
        pending_.data.push_back('\n');
    } else if (field == "event") {
        pending_.event = std::string(value);
    } else if (field == "id" || field == "retry") {
        // Not used by OpenAI streams; accepted and ignored.
    } else {
        constexpr size_t kShown = 40;
        return fail(fmt::format("not an event-stream field: '{}'{}", field.substr(0, kShown),
                                field.size() > kShown ? "..." : ""));
    }
    has_fields_ = true;
    return ok_status();
}

}  // namespace glmserve::http
