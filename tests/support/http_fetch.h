// fetch(): one HTTP(S) request from a test through the project's own client, on a fresh
// connection and io_context, returning the whole answer. For tests that check what a server
// or the gateway answers, not how the client behaves (tests/http/client_test.cpp does that).
// Timeouts are generous: the server's own limits are what such tests exercise; these only
// turn a hang into a failure.
// Thread: any thread; each call is self-contained.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/client.h"

namespace glmserve::testing {

struct FetchReply {
    Status status;        // the client's outcome (OK when a whole answer arrived)
    int http_status = 0;  // 0 when no answer head arrived
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // Case-insensitive; "" when absent.
    std::string header(std::string_view name) const;
};

// `base_url` "http(s)://host:port"; tls: for https (null: the system's trust store).
FetchReply fetch(const std::string& base_url, http::ClientRequest request,
                 std::shared_ptr<http::TlsContext> tls = nullptr);

}  // namespace glmserve::testing
