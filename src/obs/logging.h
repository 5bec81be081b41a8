// Logging set-up: one named spdlog logger per module (STYLE.md §8).
//
// Text mode for terminals, JSON lines for production (json_log_formatter.h); the same fields
// either way, and structured events (event_log.h) carry their own named fields. Until
// setup_logging() runs, loggers write text at info level to stderr.
// Thread: setup_logging() once at start-up, before other threads; logger() from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "common/status.h"

namespace glmserve::obs {

enum class LogFormat { Text, Json };

struct LogOptions {
    spdlog::level::level_enum level = spdlog::level::info;
    LogFormat format = LogFormat::Text;
};

Result<spdlog::level::level_enum> parse_log_level(std::string_view name);

void setup_logging(const LogOptions& options);
LogFormat current_log_format();

// The logger for a module ("engine", "model", "cli", ...), created on first use.
std::shared_ptr<spdlog::logger> logger(std::string_view module);

}  // namespace glmserve::obs
