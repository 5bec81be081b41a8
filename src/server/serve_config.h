// ServeConfig: everything `glmserve serve` runs with, resolved and validated by the CLI
// (cli/cmd_serve.cpp) and logged once at start-up. Immutable once the server starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/scheduler.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "server/openai_request.h"
#include "tokenizer/chat_template.h"

namespace glmserve::server {

struct ServeConfig {
    std::string model_path;
    std::string model_name;  // the id in /v1/models; requests naming another model get 404
    std::optional<tokenizer::ChatTemplateKind> chat_template;  // else from the model file
    int threads = 1;                                           // compute threads

    engine::SchedulerConfig engine;  // n_ctx, batch, queue bounds, KV pool bytes, prefix cache
    http::ServerConfig http;         // address, io threads, connection limits and timeouts
    RequestLimits request_limits;    // n, prompts, stop strings, logprobs, timeouts

    std::string api_key_file;  // empty: no authentication
    http::RateLimits default_rate_limits;

    std::chrono::milliseconds drain_timeout{30'000};
    std::chrono::milliseconds slow_threshold{5'000};     // slower requests get a slow-log line
    std::chrono::milliseconds watchdog_timeout{30'000};  // /health fails past this without a step
};

}  // namespace glmserve::server
