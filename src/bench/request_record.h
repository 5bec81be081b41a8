// RequestRecord: what the load generator measured for one request.
//
// Times are seconds as doubles, taken from std::chrono::steady_clock and stored as offsets:
// start_s from the run's start, the others from this request's start. The runner fills one
// record per request; stats.h turns a run's records into a Summary. Gaps are bounded
// (kMaxGapsPerRequest) so a server streaming forever cannot exhaust memory; the number of gaps
// dropped past the bound is kept so the totals stay honest.
// Thread: a value; the runner's io thread writes it, then hands it over when the request ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glmserve::bench {

enum class Outcome : uint8_t {
    Ok,            // HTTP 200 and a complete response (a [DONE] or a finished JSON body)
    HttpError,     // a non-200 status; the code is in http_status
    Timeout,       // the per-request deadline passed before the response ended
    ConnectError,  // no connection (refused, unresolvable, reset before a status line)
    StreamCut,     // the connection ended after 200 but before the stream finished
    BadResponse,   // unparseable SSE or JSON, or a stream that broke the protocol
};
inline constexpr int kOutcomeCount = 6;
static_assert(static_cast<int>(Outcome::BadResponse) + 1 == kOutcomeCount,
              "kOutcomeCount must follow the last Outcome");

std::string_view outcome_name(Outcome outcome);  // "ok", "http_error", ...

inline constexpr size_t kMaxGapsPerRequest = 65536;

struct RequestRecord {
    uint64_t index = 0;              // order of issue within the run
    double start_s = 0;              // when it was sent, from the run's start
    double scheduled_s = 0;          // when it was due (open loop); start_s in a closed loop
    std::optional<double> ttft_s;    // first chunk with non-empty text, from start
    std::vector<double> itl_s;       // gaps between consecutive token chunks
    size_t n_gaps_dropped = 0;       // gaps past kMaxGapsPerRequest, not stored
    double e2e_s = 0;                // start to end of response (or to the failure)
    int64_t n_tokens_prompt = 0;     // from usage, else the prompt source's estimate
    int64_t n_tokens_generated = 0;  // from usage, else the number of token chunks
    bool tokens_from_usage = false;  // true when the server sent a usage block
    Outcome outcome = Outcome::Ok;
    int http_status = 0;  // 0 when no status line arrived
    std::string error;    // a short reason for a non-Ok outcome

    // Records one more inter-token gap, respecting the bound.
    void add_gap(double gap_s) {
        if (itl_s.size() < kMaxGapsPerRequest) {
            itl_s.push_back(gap_s);
        } else {
            ++n_gaps_dropped;
        }
    }
};

inline std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok: return "ok";
        case Outcome::HttpError: return "http_error";
        case Outcome::Timeout: return "timeout";
        case Outcome::ConnectError: return "connect_error";
        case Outcome::StreamCut: return "stream_cut";
        case Outcome::BadResponse: return "bad_response";
    }
    return "unknown";
}

}  // namespace glmserve::bench
