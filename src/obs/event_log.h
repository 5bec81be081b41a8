// Structured log events: one line with named fields, e.g. the per-request line of the server.
//
//   log_event(*logger("server"), spdlog::level::info, "request",
//             {{"req", id}, {"route", "/v1/completions"}, {"status", 200}});
// In JSON-lines mode (LogFormat::Json) the fields become members of the line's object next to
// ts, level, logger and msg (= the event name); in text mode they follow the event name as
// key=value pairs (strings quoted when they hold blanks or quotes). Field values are JSON
// values; strings may hold any bytes (invalid UTF-8 is replaced, never thrown on).
// Thread: any thread (spdlog loggers are thread-safe).
#pragma once

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <string_view>

namespace glmserve::obs {

void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view event,
               const nlohmann::json& fields);

namespace detail {
// Marks a payload made by log_event for the JSON formatter: kEventMarker, the event name,
// kFieldsMarker, then the fields as one JSON object.
inline constexpr char kEventMarker = '\x1e';
inline constexpr char kFieldsMarker = '\x1f';
}  // namespace detail

}  // namespace glmserve::obs
