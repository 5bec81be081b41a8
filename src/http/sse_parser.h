// SseParser: an incremental, bounded parser for text/event-stream bodies (the WHATWG
// "server-sent events" format that OpenAI-compatible servers stream tokens in).
//
// Bytes may be fed in any split (one byte at a time gives the same events as the whole body at
// once). Lines end in CRLF, LF or CR; a blank line ends an event; several "data:" lines are
// joined with '\n'; lines starting with ':' are comments; one space after "field:" is dropped.
// Events without data are not delivered, as the spec says.
//
// Stricter than the spec on purpose: a load generator must count a server that sends garbage
// as failed, not silently skip it. So a field other than data/event/id/retry, a NUL byte, or an
// event (or a single line) larger than max_event_bytes is DataLoss. After an error the parser
// stays failed and every later feed() returns the same error.
// Thread: a value type; one owner. Pure: no I/O, no Beast.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace glmserve::http {

struct SseEvent {
    std::string event;  // "" when the event had no "event:" field
    std::string data;
};

class SseParser {
public:
    explicit SseParser(size_t max_event_bytes = size_t{1} << 20);

    // Parses `bytes` and calls on_event for each complete event, in order. Returns DataLoss
    // (and calls nothing more) once the stream is found not to be SSE-shaped or too large.
    Status feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);

    // True when no partial line or event is buffered (a well-formed stream ended cleanly).
    bool at_event_boundary() const { return line_.empty() && !has_fields_; }

private:
    Status on_line(const std::function<void(const SseEvent&)>& on_event);
    Status fail(std::string message);

    size_t max_event_bytes_;
    std::string line_;         // the current line, without its terminator
    SseEvent pending_;         // fields of the event being built (data with a trailing '\n')
    bool has_fields_ = false;  // pending_ has seen at least one field line
    bool skip_lf_ = false;     // the previous byte was CR: a following LF ends no new line
    uint64_t n_lines_ = 0;     // for error messages
    Status error_;             // sticky
};

}  // namespace glmserve::http
