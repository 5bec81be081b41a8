// fetch() (see http_fetch.h).
#include "support/http_fetch.h"

#include <strings.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "common/check.h"
#include "http/url.h"

namespace glmserve::testing {

using std::chrono::milliseconds;

std::string FetchReply::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), key.size()) == 0) {
            return value;
        }
    }
    return "";
}

FetchReply fetch(const std::string& base_url, http::ClientRequest request,
                 std::shared_ptr<http::TlsContext> tls) {
    boost::asio::io_context io;
    auto url = http::parse_url(base_url);
    GS_CHECK(url.ok());
    auto connection = http::Connection::create(io, *url,
                                               {.connect = milliseconds(2000),
                                                .first_byte = milliseconds(20000),
                                                .idle_between_chunks = milliseconds(20000),
                                                .total = milliseconds(30000)},
                                               {}, std::move(tls));
    FetchReply reply;
    connection->async_request(std::move(request),
                              {.on_head =
                                   [&](const http::ResponseHead& head) {
                                       reply.http_status = head.status;
                                       reply.headers = head.headers;
                                   },
                               .on_body = [&](std::string_view chunk) { reply.body.append(chunk); },
                               .on_done = [&](const Status& s) { reply.status = s; }});
    io.run();
    return reply;
}

}  // namespace glmserve::testing
