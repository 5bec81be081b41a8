// Quantities operators type on the command line and in config files: durations ("250ms",
// "1.5s", "2m", "1h"; a bare number is seconds) and byte sizes ("512MiB", "4GiB", "1.5G",
// "1000000"; K/M/G/T are powers of 1000, KiB/MiB/GiB/TiB of 1024, a bare number is bytes).
// Errors are InvalidArgument quoting the text and showing the accepted forms.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace glmserve {

// Seconds, > 0 and finite.
Result<double> parse_duration_s(std::string_view text);

// Bytes, >= 0 and at most 2^62.
Result<int64_t> parse_byte_size(std::string_view text);

}  // namespace glmserve
