// FakeOpenAiServer: an in-process OpenAI-compatible HTTP server on 127.0.0.1:<ephemeral> for
// tests of the HTTP client and the load generator. It answers POST /v1/completions and
// /v1/chat/completions, streamed (SSE, `data: {chunk}` per token then `data: [DONE]`) or as one
// JSON body with a usage block, and can be told to be slow, fail, cut streams or send garbage.
//
// Answers are deterministic: token i's text is " tok<i>" (so a reply of n tokens is
// " tok0 tok1 ... tok<n-1>"); prompt_tokens is tokens_per_word times the number of
// whitespace-separated words in the prompt (or in all message contents), at least 1;
// completion_tokens is the number of tokens sent. A streamed reply sends its headers at once,
// waits ttft, then one token every inter_token; a non-streamed one sends everything after
// ttft + (n - 1) * inter_token. Error statuses are answered at once with an OpenAI error body
// (and Retry-After: 1 for 429 and 503). Keep-alive is honoured.
//
// It also answers GET /v1/models (model_id as the one model, in the OpenAI list shape) and POST
// /tokenize ({"prompt": text} → {"tokens": [0, 1, ...], "count": n, "max_model_len": 4096},
// n counted like prompt_tokens but without the floor of 1), the way glmserve serve and vLLM
// do; either route can be switched off (404, like an unknown route). `status` and the stream
// faults apply to the completion routes only.
// Thread: the server runs one io_context thread of its own. Every public method may be called
// from any thread; set_behavior() applies to requests that arrive after it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace glmserve::testing {

struct FakeBehavior {
    int status = 200;  // non-200: an OpenAI error JSON with this status
    std::chrono::milliseconds ttft{0};
    std::chrono::milliseconds inter_token{0};
    int n_tokens = 8;  // tokens per reply unless the request has "max_tokens"
    // Close the connection after cut_after_tokens tokens (non-streamed: after half the body,
    // with Content-Length announcing all of it).
    bool cut_stream_after = false;
    int cut_after_tokens = 0;
    bool garbage_sse = false;   // a streamed reply starts with bytes that are not SSE
    bool include_usage = true;  // non-stream: "usage"; stream: needs stream_options too
    // Close the connection right after each complete response while still announcing
    // keep-alive (a server dropping idle connections): the client's next request must retry.
    bool close_after_response = false;
    std::string model_id = "fake-model";  // what /v1/models lists; "": an empty list
    // Completions naming another model than model_id get 404 model_not_found, as from
    // glmserve serve; false: any model name is answered.
    bool require_model_id = false;
    bool serve_models = true;    // false: GET /v1/models is 404
    bool serve_tokenize = true;  // false: POST /tokenize is 404
    int tokens_per_word = 1;     // >= 1; in /tokenize and usage.prompt_tokens
    // Non-empty: every request without "Authorization: Bearer <required_api_key>" gets 401, as
    // from glmserve serve with --api-keys.
    std::string required_api_key;
};

class FakeOpenAiServer {
public:
    // GS_CHECKs that it could listen (test support).
    static std::unique_ptr<FakeOpenAiServer> start(FakeBehavior initial = {});
    ~FakeOpenAiServer();

    FakeOpenAiServer(const FakeOpenAiServer&) = delete;
    FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

    uint16_t port() const;
    std::string url() const;  // "http://127.0.0.1:PORT"

    void set_behavior(FakeBehavior behavior);
    FakeBehavior behavior() const;

    int requests_seen() const;         // complete requests read, any path
    int connections_accepted() const;  // TCP connections accepted
    std::string last_request_body() const;
    std::string last_authorization() const;  // "" when the last request had none

    struct Impl;

private:
    FakeOpenAiServer();
    std::unique_ptr<Impl> impl_;
};

}  // namespace glmserve::testing
