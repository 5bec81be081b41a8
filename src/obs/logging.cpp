#include "obs/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <string>

#include "obs/json_log_formatter.h"

namespace glmserve::obs {
namespace {

struct LoggingState {
    std::mutex mu;
    LogOptions options;
};

LoggingState& state() {
    static LoggingState s;
    return s;
}

void apply_format(spdlog::logger& log, const LogOptions& options) {
    log.set_level(options.level);
    if (options.format == LogFormat::Json) {
        log.set_formatter(std::make_unique<JsonLogFormatter>());
    } else {
        log.set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    }
}

}  // namespace

Result<spdlog::level::level_enum> parse_log_level(std::string_view name) {
    for (int l = spdlog::level::trace; l <= spdlog::level::off; ++l) {
        const auto level = static_cast<spdlog::level::level_enum>(l);
        const auto sv = spdlog::level::to_string_view(level);
        if (std::string_view(sv.data(), sv.size()) == name) return level;
    }
    // spdlog spells these "warning" and "error"; accept the short forms operators type too.
    if (name == "warn") return spdlog::level::warn;
    if (name == "err") return spdlog::level::err;
    return invalid_argument("unknown log level '" + std::string(name) +
                            "' (trace, debug, info, warn, error, critical, off)");
}

void setup_logging(const LogOptions& options) {
    std::lock_guard lock(state().mu);
    state().options = options;
    spdlog::apply_all(
        [&](const std::shared_ptr<spdlog::logger>& log) { apply_format(*log, options); });
}

LogFormat current_log_format() {
    std::lock_guard lock(state().mu);
    return state().options.format;
}

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
    const std::string name(module);
    std::lock_guard lock(state().mu);
    if (auto existing = spdlog::get(name)) return existing;
    auto log = spdlog::stderr_color_mt(name);
    apply_format(*log, state().options);
    return log;
}

}  // namespace glmserve::obs
