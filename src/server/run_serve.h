// run_serve(): the process-level life of `glmserve serve`: start the replica, log the
// effective configuration, then wait for SIGTERM or SIGINT.
//
// First signal: drain — /ready turns 503, new generations get 503, the listener closes, and
// requests in flight run to their end for up to drain_timeout; then whatever is left is
// cancelled and the process exits 0. A second signal during the drain exits at once (status
// 130). Signals are taken synchronously with sigtimedwait, so nothing runs in a signal
// handler; they are blocked before any thread starts, so every thread inherits the mask.
// Thread: the main thread, before it starts any other.
#pragma once

#include <memory>

#include "common/status.h"
#include "model/model.h"
#include "server/serve_config.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::server {

Status run_serve(ServeConfig config, std::shared_ptr<const model::Model> model,
                 std::unique_ptr<tokenizer::Tokenizer> tokenizer);

}  // namespace glmserve::server
