// The spdlog formatter of JSON-lines mode: every line one JSON object
//   {"ts":"2026-11-30T09:20:41.123+0000","level":"info","logger":"server","msg":"..."}
// with the message escaped as a JSON string, or, for log_event() payloads, msg = the event
// name and the event's fields merged into the object.
// Thread: spdlog calls format() under its sink's lock; the formatter holds no state.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace glmserve::obs {

class JsonLogFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
    std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace glmserve::obs
