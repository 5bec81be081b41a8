// GenerationJob: one /v1/completions or /v1/chat/completions request from the moment its
// engine requests are submitted to the last byte of its answer.
//
// A request has n_choices = prompts × n engine requests. Each one's RequestSink feeds the job
// on the scheduler thread: tokens are detokenized incrementally (tokenizer::StreamDecoder, so
// a chunk never ends inside a UTF-8 character), cut at stop strings (StopMatcher: the engine
// is told to stop at once), and either streamed as SSE chunks or kept for the final JSON.
//
// What the client gets:
// - Streaming starts lazily, with the first text: until then nothing is sent, so a request
//   that times out in the queue still gets a clean 504, and a failed submission a 503/400.
// - A finished choice's last chunk carries its finish_reason ("stop", "length", "timeout",
//   "cancelled"); then the usage chunk when asked, then [DONE].
// - Not streaming: 200 with every choice, or 504 when the deadline passed (the request's
//   `timeout`), 500 when the engine failed, 503 when the server shut down under it. A client
//   that went away gets nothing; its requests are cancelled (writer on_close → cancel_all()).
// When every choice has finished, on_done receives a summary for the log line, metrics and
// the rate limiter.
// Thread: sinks run on the scheduler thread, on_close on an io thread, submit() on the handler
// thread; one mutex guards the job (it is held briefly, never across I/O: the writer posts).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/request.h"
#include "http/server.h"
#include "server/openai_request.h"
#include "server/openai_response.h"
#include "server/stop_matcher.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::server {

struct JobSummary {
    int http_status = 200;  // 499 when the client went away
    std::string finish;     // finish reasons of the choices, comma-separated
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    int64_t cached_tokens = 0;
    int32_t preemptions = 0;
    double queue_s = 0;    // the slowest choice's
    double prefill_s = 0;  // the slowest choice's
    double decode_s = 0;   // the slowest choice's
};

struct JobParams {
    Endpoint endpoint = Endpoint::Completions;
    bool stream = false;
    bool include_usage = false;
    bool logprobs = false;
    std::string id;  // "cmpl-..." / "chatcmpl-..."
    int64_t created = 0;
    std::string model;
    int32_t n = 1;                       // choices per prompt
    std::vector<int64_t> prompt_tokens;  // per prompt
    std::vector<std::string> stop;
    const tokenizer::Tokenizer* tokenizer = nullptr;  // owner: the server; outlives the job
    std::shared_ptr<http::ResponseWriter> writer;
    http::Headers headers;  // added to the answer (X-Request-Id)
    std::function<void(const JobSummary&)> on_done;
};

class GenerationJob : public std::enable_shared_from_this<GenerationJob> {
public:
    using SubmitFn = std::function<Result<std::shared_ptr<engine::RequestHandle>>(int32_t choice)>;

    static std::shared_ptr<GenerationJob> create(JobParams params);

    int32_t n_choices() const { return static_cast<int32_t>(choices_.size()); }
    // The engine sink of choice i (choice = prompt index × n + k).
    std::shared_ptr<engine::RequestSink> sink(int32_t choice);

    // Submits every choice through submit_one. On the first failure the ones already submitted
    // are cancelled, the job answers nothing (the caller answers with the error) and the
    // error is returned. On success the job watches the client and answers by itself.
    Status submit(const SubmitFn& submit_one);

    // Cancels every choice (the client went away).
    void cancel_all();

    struct Choice;
    class Sink;

private:
    explicit GenerationJob(JobParams params);
    engine::TokenAction on_token(int32_t choice, const engine::TokenEvent& event);
    void on_finish(int32_t choice, const engine::Completion& completion);
    void emit(Choice& c, std::string text);
    void start_stream();
    void send_finish_chunk(Choice& c);
    void complete();
    void complete_stream(JobSummary& summary);
    void complete_whole(JobSummary& summary);
    ResponseMeta meta() const;
    Usage usage() const;
    TokenLogprob token_logprob(const engine::TokenEvent& event) const;

    JobParams params_;
    std::mutex mu_;
    std::vector<std::unique_ptr<Choice>> choices_;                 // guarded by mu_
    std::vector<std::shared_ptr<engine::RequestHandle>> handles_;  // guarded by mu_
    bool aborted_ = false;         // guarded by mu_: submission failed, the caller answered
    bool stream_started_ = false;  // guarded by mu_
    int32_t n_finished_ = 0;       // guarded by mu_
};

}  // namespace glmserve::server
