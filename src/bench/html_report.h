// A self-contained HTML report of one run: summary tables plus inline SVG charts (latency CDFs
// of TTFT, ITL and E2E; output tokens/s, completions/s and in-flight requests per second;
// outcome bars). No scripts, fonts, styles or images from outside: a browser with no network
// shows all of it.
//
// CDFs are drawn from the raw samples of Ok requests (at most kMaxCdfPoints points each,
// taken at evenly spaced ranks); the other charts come from the Summary.
// Thread: pure functions over values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/request_record.h"
#include "bench/stats.h"

namespace glmserve::bench {

inline constexpr size_t kMaxCdfPoints = 400;

std::string render_html_report(const Summary& summary, const std::vector<RequestRecord>& records,
                               std::string_view title);

// "&<>\"'" escaped for HTML text and attributes.
std::string html_escape(std::string_view text);

}  // namespace glmserve::bench
