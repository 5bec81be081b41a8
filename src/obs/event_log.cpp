#include "obs/event_log.h"

#include <string>

#include "obs/logging.h"

namespace glmserve::obs {
namespace {

std::string dump(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// key=value pairs; strings bare when they are one plain word, JSON-quoted otherwise.
std::string as_text(std::string_view event, const nlohmann::json& fields) {
    std::string out(event);
    if (!fields.is_object()) return out;
    for (const auto& [key, value] : fields.items()) {
        out += ' ';
        out += key;
        out += '=';
        if (value.is_string()) {
            const auto& s = value.get_ref<const std::string&>();
            const bool plain = !s.empty() && s.find_first_of(" \t\r\n\"=\\") == std::string::npos;
            out += plain ? s : dump(value);
        } else {
            out += dump(value);
        }
    }
    return out;
}

}  // namespace

void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view event,
               const nlohmann::json& fields) {
    if (!log.should_log(level)) return;
    if (current_log_format() == LogFormat::Json) {
        std::string payload;
        payload += detail::kEventMarker;
        payload += event;
        payload += detail::kFieldsMarker;
        payload += dump(fields.is_object() ? fields : nlohmann::json::object());
        log.log(level, "{}", payload);
    } else {
        log.log(level, "{}", as_text(event, fields));
    }
}

}  // namespace glmserve::obs
