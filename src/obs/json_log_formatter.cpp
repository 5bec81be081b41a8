#include "obs/json_log_formatter.h"

#include <fmt/chrono.h>

#include <ctime>
#include <string_view>

#include "obs/event_log.h"

namespace glmserve::obs {
namespace {

void append(spdlog::memory_buf_t& dest, std::string_view s) {
    dest.append(s.data(), s.data() + s.size());
}

// A JSON string literal. Control characters are \u-escaped; other bytes pass through (the
// payloads are our own messages, and user strings in them went through fmt's {:?}).
void append_json_string(spdlog::memory_buf_t& dest, std::string_view s) {
    dest.push_back('"');
    for (char c : s) {
        switch (c) {
            case '"': append(dest, "\\\""); break;
            case '\\': append(dest, "\\\\"); break;
            case '\n': append(dest, "\\n"); break;
            case '\r': append(dest, "\\r"); break;
            case '\t': append(dest, "\\t"); break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    fmt::format_to(std::back_inserter(dest), "\\u{:04x}",
                                   static_cast<unsigned>(static_cast<unsigned char>(c)));
                } else {
                    dest.push_back(c);
                }
        }
    }
    dest.push_back('"');
}

void append_timestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
    const std::time_t seconds = spdlog::log_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()) % 1000;
    fmt::format_to(std::back_inserter(dest), "{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm,
                   static_cast<int>(ms.count()));
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
    append(dest, R"({"ts":")");
    append_timestamp(dest, msg.time);
    append(dest, R"(","level":)");
    const auto level = spdlog::level::to_string_view(msg.level);
    append_json_string(dest, std::string_view(level.data(), level.size()));
    append(dest, R"(,"logger":)");
    append_json_string(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    append(dest, R"(,"msg":)");
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const size_t fields_at = payload.find(detail::kFieldsMarker);
    if (!payload.empty() && payload.front() == detail::kEventMarker &&
        fields_at != std::string_view::npos) {
        append_json_string(dest, payload.substr(1, fields_at - 1));
        // The fields object, without its braces, joins the line's object.
        const std::string_view fields = payload.substr(fields_at + 1);
        if (fields.size() > 2) {
            dest.push_back(',');
            append(dest, fields.substr(1, fields.size() - 2));
        }
    } else {
        append_json_string(dest, payload);
    }
    append(dest, "}\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
    return std::make_unique<JsonLogFormatter>();
}

}  // namespace glmserve::obs
