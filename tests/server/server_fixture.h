// A real OpenAiServer on 127.0.0.1:<ephemeral> over a tiny model with the built-in vocabulary,
// for the server's integration and hostile-input tests, plus helpers to call it.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/openai_server.h"
#include "server/serve_config.h"
#include "support/raw_http_client.h"

namespace glmserve::testing {

// The tiny glm4 model (64 wide, 2 layers) with the built-in byte-level vocabulary and the
// GLM-4 chat template; built once per process.
std::shared_ptr<const model::Model> tiny_chat_model();

// A config for tests: 2 threads, n_ctx 256, room for 16 contexts, small HTTP limits, port 0.
server::ServeConfig test_serve_config();

// Starts a server (GS_CHECK on failure: test support).
std::unique_ptr<server::OpenAiServer> start_test_server(server::ServeConfig config);

// One request on a fresh connection; nullopt when no response came.
std::optional<Reply> call(uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body = {},
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

// The JSON body of a reply (discarded value when not JSON).
nlohmann::json body_json(const Reply& reply);

// The `data:` payloads of an SSE body, in order ("[DONE]" included as is).
std::vector<std::string> sse_data(std::string_view body);

// The text of a streamed completion or chat reply: every chunk's text/delta content joined.
std::string streamed_text(std::string_view body);

// Polls `condition` until it holds or `seconds` pass; true when it held.
bool eventually(const std::function<bool()>& condition, double seconds = 10);

// The value of an unlabelled (or exactly labelled, e.g. `name{reason="x"}`) series in
// Prometheus text, or nullopt.
std::optional<double> metric_value(std::string_view metrics_text, std::string_view series);

}  // namespace glmserve::testing
