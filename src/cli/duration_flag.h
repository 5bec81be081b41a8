// Durations on the command line: "250ms", "1.5s", "2m", or a bare number of seconds.
#pragma once

#include <string_view>

#include "common/status.h"

namespace glmserve::cli {

// Seconds; InvalidArgument naming `flag` for anything else, negative or non-finite values.
Result<double> parse_duration_seconds(std::string_view text, std::string_view flag);

}  // namespace glmserve::cli
