// The load runner: drives a LoadShape against an OpenAI-compatible server and returns one
// RequestRecord per request sent, plus the run's wall time.
//
// All requests run on one io_context (plus n_extra_io_threads more threads running it), over
// keep-alive http::Connections: a closed loop keeps `concurrency` connections busy; an open
// loop takes an idle connection for each arrival or opens a new one, up to
// kMaxOpenConnections, past which arrivals wait for a free connection. Latency is measured
// from the actual send (start_s); the due time is kept as scheduled_s, and the summary's send
// lag (stats.h) shows a client that fell behind its schedule instead of hiding it.
// Prompts are used in order and cycled. Failures of individual requests are records, never
// errors of the run; run_load fails only on a bad config (no prompts, invalid load shape).
//
// Thread: run_load blocks its caller until the run ends. Inside, the run's own state lives on
// one strand; each request's StreamMeasurer lives on its connection's strand until on_done,
// then its record is posted to the run's strand. on_progress is called on the run's strand.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "bench/load_shape.h"
#include "bench/prompts.h"
#include "bench/request_record.h"
#include "bench/stream_request.h"
#include "common/status.h"
#include "http/url.h"

namespace glmserve::http {
class TlsContext;
}

namespace glmserve::bench {

inline constexpr size_t kMaxOpenConnections = 4096;

struct Progress {
    uint64_t n_sent = 0;
    uint64_t n_done = 0;
    uint64_t n_failed = 0;  // done and not Ok
    uint64_t n_in_flight = 0;
    double elapsed_s = 0;
};

struct RunnerConfig {
    http::Url base_url;
    std::shared_ptr<http::TlsContext> tls;  // https only; null: the system's trust store
    RequestParams request;
    LoadShape shape;
    std::chrono::milliseconds request_timeout{60000};  // whole request, connect included
    std::chrono::milliseconds connect_timeout{5000};
    int n_extra_io_threads = 0;
    std::function<void(const Progress&)> on_progress;  // after each completion; may be empty
};

struct RunResult {
    std::vector<RequestRecord> records;  // in completion order
    double wall_s = 0;                   // first send to last completion
};

Result<RunResult> run_load(const RunnerConfig& config, const std::vector<Prompt>& prompts);

// The client timeouts of every connection the bench opens: request_timeout bounds the whole
// request and each wait inside it, connect_timeout (at most that) the connect.
http::ClientTimeouts client_timeouts(const RunnerConfig& config);

}  // namespace glmserve::bench
