#include "common/units.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string>
#include <utility>

namespace glmserve {
namespace {

// Splits "1.5GiB" into 1.5 and "GiB"; nullopt-like failure when no number leads.
bool split_number(std::string_view text, double& value, std::string_view& unit) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr == text.data()) return false;
    unit = std::string_view(ptr, static_cast<size_t>(end - ptr));
    return true;
}

}  // namespace

Result<double> parse_duration_s(std::string_view text) {
    double value = 0;
    std::string_view unit;
    double scale = 0;
    if (split_number(text, value, unit)) {
        if (unit.empty() || unit == "s") scale = 1;
        if (unit == "ms") scale = 1e-3;
        if (unit == "m") scale = 60;
        if (unit == "h") scale = 3600;
    }
    const double seconds = value * scale;
    if (scale == 0 || !(seconds > 0) || !std::isfinite(seconds)) {
        return invalid_argument(
            fmt::format("'{}' is not a positive duration (like 250ms, 1.5s, 2m)", text));
    }
    return seconds;
}

Result<int64_t> parse_byte_size(std::string_view text) {
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"", 1},         {"B", 1},        {"K", 1e3},      {"KB", 1e3},     {"M", 1e6},
        {"MB", 1e6},     {"G", 1e9},      {"GB", 1e9},     {"T", 1e12},     {"TB", 1e12},
        {"KiB", 0x1p10}, {"MiB", 0x1p20}, {"GiB", 0x1p30}, {"TiB", 0x1p40},
    };
    double value = 0;
    std::string_view unit;
    if (split_number(text, value, unit)) {
        for (const auto& [name, scale] : kUnits) {
            if (unit != name) continue;
            const double bytes = std::floor(value * scale);
            if (bytes >= 0 && bytes <= 0x1p62) return static_cast<int64_t>(bytes);
        }
    }
    return invalid_argument(fmt::format(
        "'{}' is not a byte size (like 512MiB, 4GiB, 1.5G or a number of bytes)", text));
}

}  // namespace glmserve
