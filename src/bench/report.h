// Reports of a bench Summary: a plain-text table, JSON (written and read back), and a
// side-by-side comparison of two runs.
//
// The JSON carries every summary figure, times in seconds, under stable keys
// (format "glmserve-bench", version 1); summary_from_json checks every field's type and names
// the bad field in its error, so a hand-edited or foreign file is refused, never guessed at.
// Thread: pure functions over values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "bench/stats.h"
#include "common/status.h"

namespace glmserve::bench {

inline constexpr int kSummaryJsonVersion = 1;

// An aligned table: one row per latency metric (ms) and the throughput, goodput and outcomes.
std::string format_table(const Summary& summary);

nlohmann::json to_json(const Summary& summary);
Result<Summary> summary_from_json(const nlohmann::json& json);
Result<Summary> summary_from_json_text(std::string_view text);
// Reads a file written from to_json; the error names the path.
Result<Summary> read_summary_file(const std::string& path);

// Two runs side by side: figure, A, B and B/A ("-" where A is zero).
std::string format_compare(const Summary& a, const Summary& b);

}  // namespace glmserve::bench
