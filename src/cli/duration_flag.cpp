#include "cli/duration_flag.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace glmserve::cli {

Result<double> parse_duration_seconds(std::string_view text, std::string_view flag) {
    struct Unit {
        std::string_view suffix;
        double seconds;
    };
    // "ms" before "s" and "m": the longest matching suffix wins.
    constexpr Unit kUnits[] = {{"ms", 1e-3}, {"us", 1e-6}, {"s", 1.0}, {"m", 60.0}};
    double scale = 1.0;
    std::string_view number = text;
    for (const Unit& u : kUnits) {
        if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
            scale = u.seconds;
            number = text.substr(0, text.size() - u.suffix.size());
            break;
        }
    }
    const std::string copy(number);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value) || value < 0) {
        return invalid_argument(fmt::format(
            "{}: '{}' is not a duration (examples: 250ms, 1.5s, 2m, or seconds)", flag, text));
    }
    return value * scale;
}

}  // namespace glmserve::cli
