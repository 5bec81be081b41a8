// One blocking request for the bench's set-up calls; see fetch.h.
#include "bench/fetch.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>

#include "bench/stream_request.h"  // add_api_key

namespace glmserve::bench {

Result<FetchReply> fetch(const RunnerConfig& config, http::ClientRequest request) {
    const std::string what =
        fmt::format("{} {}{}", request.method, config.base_url.to_string(), request.target);
    add_api_key(config.request.api_key, request);
    boost::asio::io_context io;
    auto connection = http::Connection::create(io, config.base_url, client_timeouts(config),
                                               {.max_body_bytes = kMaxFetchBodyBytes}, config.tls);
    FetchReply reply;
    // on_done runs exactly once before io.run() returns (http/client.h); the default only
    // stands if that contract is broken.
    Status outcome = internal_error("the request ended without an outcome");
    connection->async_request(
        std::move(request),
        {.on_head = [&reply](const http::ResponseHead& head) { reply.http_status = head.status; },
         .on_body = [&reply](std::string_view bytes) { reply.body.append(bytes); },
         .on_done = [&outcome](const Status& status) { outcome = status; }});
    io.run();
    connection->close();
    if (!outcome.ok()) return outcome.with_context(what);
    return reply;
}

std::string body_excerpt(const std::string& body) {
    constexpr size_t kShown = 200;
    std::string out = body.substr(0, kShown);
    for (char& c : out) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return body.size() > kShown ? out + "..." : out;
}

}  // namespace glmserve::bench
