// What a caller hands the engine to generate, and how the engine answers: the request, the
// per-token events, the final completion, and the handle that cancels it.
//
// Events reach a RequestSink on the scheduler thread, in order: on_token() for each generated
// token, then on_finish() exactly once (also for a request that never ran: cancelled or timed
// out while queued). A sink must be quick and must not block — it formats the token and hands
// it to an io thread — because every running sequence waits for it. on_token() may ask to stop
// (the server's stop strings), which finishes the request with FinishReason::Stop.
// Thread: EngineRequest is a value moved into the engine; RequestHandle::cancel() may be called
// from any thread (an atomic flag the scheduler reads every step).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/sampler.h"

namespace glmserve::engine {

using SteadyClock = std::chrono::steady_clock;

enum class FinishReason {
    Length,     // max_tokens reached, or the end of the context
    Stop,       // an end-of-generation token, a stop token id, or the sink asked to stop
    Cancelled,  // RequestHandle::cancel() (the client went away)
    Timeout,    // the deadline passed (queue wait + generation)
    Error,      // the engine failed; Completion::error says why
};
std::string_view finish_reason_name(FinishReason reason);  // "length", "stop", ...

struct TokenLogprobs {
    float logprob = 0.0f;                        // of the chosen token
    std::vector<std::pair<int32_t, float>> top;  // best alternatives, highest first
};

struct TokenEvent {
    int32_t token = 0;
    int32_t index = 0;                        // 0 for the first generated token
    const TokenLogprobs* logprobs = nullptr;  // when requested; valid during the call only
};

// Times are measured by the engine from submission.
struct RequestStats {
    int64_t n_prompt_tokens = 0;
    int64_t n_cached_tokens = 0;  // prompt tokens whose K/V came from the prefix cache
    int64_t n_generated_tokens = 0;
    int32_t n_preemptions = 0;
    std::chrono::duration<double> queue_time{0};    // submit → first scheduled
    std::chrono::duration<double> prefill_time{0};  // first scheduled → first token
    std::chrono::duration<double> decode_time{0};   // first token → finish
    std::chrono::duration<double> total_time{0};    // submit → finish
};

struct Completion {
    FinishReason reason = FinishReason::Length;
    Status error;  // set when reason is Error
    RequestStats stats;
};

enum class TokenAction { Continue, Stop };

class RequestSink {
public:
    virtual ~RequestSink() = default;
    virtual TokenAction on_token(const TokenEvent& event) = 0;
    virtual void on_finish(const Completion& completion) = 0;
};

struct EngineRequest {
    std::string id;  // for logs
    std::vector<int32_t> prompt;
    int32_t max_tokens = 16;  // >= 1; the engine also stops at the end of its context
    SamplingParams sampling;
    std::vector<int32_t> stop_token_ids;  // besides the model's end-of-generation tokens
    bool ignore_eos = false;              // keep going past end-of-generation tokens
    int32_t n_logprobs = -1;              // -1: none; 0: the chosen token's; k: plus top k
    SteadyClock::time_point deadline = SteadyClock::time_point::max();
    std::shared_ptr<RequestSink> sink;
};

// Returned by try_submit(); cancel() stops the request within one engine step.
class RequestHandle {
public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> cancelled_{false};
};

}  // namespace glmserve::engine
