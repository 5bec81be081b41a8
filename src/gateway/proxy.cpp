#include "gateway/proxy.h"

#include <strings.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <vector>

#include "gateway/proxy_request.h"
#include "gateway/stream_usage.h"
#include "obs/logging.h"

namespace glmserve::gateway {
namespace {

namespace asio = boost::asio;

// Retryable error answers are held up to this size; a bigger one is passed on as it comes.
constexpr size_t kMaxHeldBytes = 64 * 1024;
// Non-streamed bodies are also kept for the cache and the token settlement up to this size.
constexpr size_t kMaxCapturedBytes = 8 * 1024 * 1024;

bool retryable_status(int status) {
    return status == 429 || status == 502 || status == 503;
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

class ProxyCall : public std::enable_shared_from_this<ProxyCall> {
public:
    ProxyCall(std::shared_ptr<GatewayRuntime> runtime, ProxyJob job)
        : rt_(std::move(runtime)),
          job_(std::move(job)),
          started_(Clock::now()),
          strand_(asio::make_strand(rt_->io())),
          deadline_(strand_) {}

    void start();

private:
    void attempt();
    void on_head(const http::ResponseHead& head);
    void on_body(std::string_view chunk);
    void on_done(const Status& status, uint64_t attempt,
                 std::shared_ptr<http::Connection> connection);
    AttemptOutcome settle_attempt(const Status& status, Clock::time_point now);
    void forward_head();
    bool try_retry();
    void answer(http::Response response);
    void end_broken_stream(const Status& status);
    void complete(int status);
    void settle_tokens();
    void close_connection();

    std::shared_ptr<GatewayRuntime> rt_;
    ProxyJob job_;
    const Clock::time_point started_;
    asio::strand<asio::io_context::executor_type> strand_;
    asio::steady_timer deadline_;  // on strand_

    // Touched by one attempt's callbacks at a time (each attempt starts from the previous
    // attempt's on_done, which orders them).
    std::vector<size_t> tried_;
    size_t index_ = 0;
    Clock::time_point attempt_started_;
    http::ResponseHead head_;
    bool first_byte_ = false;
    bool holding_ = false;  // the answer may be retried: hold it, send nothing yet
    std::string held_;
    bool forwarded_ = false;  // the head went to the client: no more retries
    std::string captured_;
    bool capturing_ = false;
    std::optional<StreamUsage> stream_usage_;  // a keyed 200 stream: counts what it used
    std::optional<http::Response> fallback_;   // the answer to give when no retry happens

    // Reached from on_close (server io thread) and the deadline (strand_) as well. A
    // connection that close_connection() may have touched is never given back to the cache
    // (on_done checks the flags after clearing connection_ under mu_), so a late close() can
    // only hit a connection no other request uses.
    std::mutex mu_;
    std::shared_ptr<http::Connection> connection_;  // guarded by mu_; the attempt in flight
    uint64_t n_attempts_ = 0;                       // guarded by mu_
    uint64_t n_attempts_done_ = 0;                  // guarded by mu_
    std::atomic<bool> client_gone_{false};
    std::atomic<bool> deadline_hit_{false};
};

void ProxyCall::start() {
    rt_->retry_budget().with([](RetryBudget& b) { b.on_request(Clock::now()); });
    deadline_.expires_at(started_ + rt_->config().timeouts.total);
    deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->deadline_hit_ = true;
        self->close_connection();
    });
    job_.writer->on_close([weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        self->client_gone_ = true;
        self->close_connection();
    });
    attempt();
}

void ProxyCall::close_connection() {
    std::shared_ptr<http::Connection> c;
    {
        std::lock_guard lock(mu_);
        c = connection_;
    }
    if (c) c->close();
}

void ProxyCall::attempt() {
    if (client_gone_) return complete(0);
    const Clock::time_point now = Clock::now();
    const std::optional<size_t> pick = rt_->pool().acquire(job_.affinity_key, tried_, now);
    if (!pick) {
        if (fallback_) return answer(std::move(*fallback_));
        rt_->metrics().no_upstream.inc();
        http::Response r =
            error_response(503, "no upstream is available", "unavailable_error", "no_upstream");
        r.headers.emplace_back("Retry-After", "1");
        return answer(std::move(r));
    }
    index_ = *pick;
    tried_.push_back(index_);
    attempt_started_ = now;
    head_ = {};
    first_byte_ = false;
    holding_ = false;
    held_.clear();
    rt_->upstream_metrics(index_).requests.inc();
    auto connection = rt_->connections().take(index_);
    uint64_t attempt = 0;
    {
        std::lock_guard lock(mu_);
        attempt = ++n_attempts_;
    }
    http::ClientRequest request{.method = job_.request.method,
                                .target = job_.request.target,
                                .headers = upstream_request_headers(job_.request, job_.request_id),
                                .body = job_.request.body};
    auto self = shared_from_this();
    connection->async_request(
        std::move(request),
        {.on_head = [self](const http::ResponseHead& head) { self->on_head(head); },
         .on_body = [self](std::string_view chunk) { self->on_body(chunk); },
         .on_done = [self, attempt, connection](
                        const Status& status) { self->on_done(status, attempt, connection); }});
    // Published only now: a close() before async_request would not cancel the request.
    {
        std::lock_guard lock(mu_);
        if (n_attempts_done_ < attempt) connection_ = connection;
    }
    // A disconnect or deadline that came before connection_ was set is acted on here.
    if (client_gone_ || deadline_hit_) close_connection();
}

void ProxyCall::on_head(const http::ResponseHead& head) {
    head_ = head;
    holding_ = retryable_status(head.status);
    capturing_ = head.status == 200 && !job_.stream && (job_.cache_key || job_.key_index);
    captured_.clear();
    stream_usage_.reset();
    if (head.status == 200 && job_.stream && job_.key_index) stream_usage_.emplace();
}

void ProxyCall::forward_head() {
    std::string_view type = response_header(head_, "Content-Type");
    http::Headers headers = client_response_headers(head_);
    if (response_header(head_, "X-Request-Id").empty()) {
        headers.emplace_back("X-Request-Id", job_.request_id);
    }
    if (job_.cache_miss) headers.emplace_back("X-Cache", "MISS");
    job_.writer->start_stream(head_.status,
                              type.empty() ? "application/octet-stream" : std::string(type),
                              std::move(headers));
    forwarded_ = true;
}

void ProxyCall::on_body(std::string_view chunk) {
    if (!first_byte_) {
        first_byte_ = true;
        rt_->pool().on_first_byte(index_);
    }
    if (holding_) {
        if (held_.size() + chunk.size() <= kMaxHeldBytes) {
            held_.append(chunk);
            return;
        }
        // Too big to hold: an answer this large is not a retryable error; pass it on.
        holding_ = false;
        forward_head();
        job_.writer->write(std::move(held_));
        held_.clear();
    }
    if (!forwarded_) forward_head();
    if (capturing_) {
        if (captured_.size() + chunk.size() <= kMaxCapturedBytes) {
            captured_.append(chunk);
        } else {
            capturing_ = false;
            captured_.clear();
        }
    }
    if (stream_usage_) stream_usage_->feed(chunk);
    job_.writer->write(std::string(chunk));
}

AttemptOutcome ProxyCall::settle_attempt(const Status& status, Clock::time_point now) {
    UpstreamMetrics& m = rt_->upstream_metrics(index_);
    m.latency.observe(seconds_between(attempt_started_, now));
    AttemptOutcome outcome = AttemptOutcome::ConnectError;
    switch (status.code()) {
        case StatusCode::Ok:
            outcome = head_.status >= 500 ? AttemptOutcome::Http5xx : AttemptOutcome::Success;
            break;
        case StatusCode::DeadlineExceeded: outcome = AttemptOutcome::Timeout; break;
        case StatusCode::Cancelled:
            // Our own deadline: the upstream's fault only if it never started answering.
            outcome =
                deadline_hit_ && !first_byte_ ? AttemptOutcome::Timeout : AttemptOutcome::NoVerdict;
            break;
        default: break;
    }
    if (outcome == AttemptOutcome::Http5xx) m.errors_5xx.inc();
    if (outcome == AttemptOutcome::ConnectError) m.errors_connect.inc();
    if (outcome == AttemptOutcome::Timeout) m.errors_timeout.inc();
    if (rt_->pool().finish(index_, outcome, first_byte_, now)) {
        m.ejections.inc();
        obs::logger("gateway")->warn(
            "upstream {} ejected after repeated failures (last: {})",
            rt_->pool().upstream(index_).name,
            status.ok() ? fmt::format("HTTP {}", head_.status) : status.to_string());
    }
    return outcome;
}

void ProxyCall::on_done(const Status& status, uint64_t attempt,
                        std::shared_ptr<http::Connection> connection) {
    const Clock::time_point now = Clock::now();
    {
        std::lock_guard lock(mu_);
        n_attempts_done_ = attempt;
        connection_.reset();
    }
    settle_attempt(status, now);
    if (status.ok() && !client_gone_ && !deadline_hit_) {
        rt_->connections().give_back(index_, std::move(connection));
    } else {
        connection->close();
    }
    if (client_gone_) return complete(0);
    if (status.ok()) {
        if (holding_) {
            fallback_ =
                http::Response{.status = head_.status,
                               .content_type = std::string(response_header(head_, "Content-Type")),
                               .headers = client_response_headers(head_),
                               .body = std::move(held_)};
            if (try_retry()) return;
            return answer(std::move(*fallback_));
        }
        if (!forwarded_) {
            // A bodiless answer (204, HEAD, an empty 200).
            return answer({.status = head_.status,
                           .content_type = std::string(response_header(head_, "Content-Type")),
                           .headers = client_response_headers(head_),
                           .body = {}});
        }
        // Cached before the client sees the end of the answer, so that the same request sent
        // right after it is a hit (the other order raced, seen under ASan).
        if (capturing_ && job_.cache_key && rt_->cache() != nullptr) {
            CachedResponse cached{
                .status = head_.status,
                .content_type = std::string(response_header(head_, "Content-Type")),
                .body = captured_};
            rt_->cache()->with(
                [&](ResponseCache& c) { c.put(*job_.cache_key, std::move(cached), now); });
        }
        job_.writer->finish();
        return complete(head_.status);
    }
    if (forwarded_) return end_broken_stream(status);
    const bool timed_out = status.code() == StatusCode::DeadlineExceeded || deadline_hit_;
    if (!fallback_ || !timed_out) {
        fallback_ = timed_out ? error_response(504, "the upstream did not answer in time",
                                               "timeout_error", "upstream_timeout")
                              : error_response(502, "the upstream failed: " + status.message(),
                                               "upstream_error", "upstream_failed");
    }
    if (!deadline_hit_ && try_retry()) return;
    answer(std::move(*fallback_));
}

bool ProxyCall::try_retry() {
    if (client_gone_ || deadline_hit_) return false;
    if (static_cast<int>(tried_.size()) >= rt_->config().retries.max_attempts) return false;
    const Clock::time_point now = Clock::now();
    if (!rt_->pool().any_available(tried_, now)) return false;
    if (!rt_->retry_budget().with([now](RetryBudget& b) { return b.try_retry(now); })) {
        rt_->metrics().retry_budget_exhausted.inc();
        return false;
    }
    rt_->metrics().retries.inc();
    rt_->upstream_metrics(index_).retries.inc();
    attempt();
    return true;
}

void ProxyCall::answer(http::Response response) {
    if (response.content_type.empty()) response.content_type = "application/json";
    const bool has_id =
        std::any_of(response.headers.begin(), response.headers.end(), [](const auto& h) {
            return h.first.size() == 12 && ::strncasecmp(h.first.c_str(), "x-request-id", 12) == 0;
        });
    if (!has_id) response.headers.emplace_back("X-Request-Id", job_.request_id);
    if (job_.cache_miss) response.headers.emplace_back("X-Cache", "MISS");
    const int status = response.status;
    job_.writer->send(std::move(response));
    complete(status);
}

void ProxyCall::end_broken_stream(const Status& status) {
    rt_->metrics().stream_errors.inc();
    const bool timed_out = status.code() == StatusCode::DeadlineExceeded || deadline_hit_;
    obs::logger("gateway")->warn("req {}: stream from upstream {} broke: {}", job_.request_id,
                                 rt_->pool().upstream(index_).name, status.to_string());
    if (response_header(head_, "Content-Type").starts_with("text/event-stream")) {
        job_.writer->write(sse_error_event(
            timed_out ? "the upstream stopped sending in time" : "the upstream failed mid-stream",
            timed_out ? "upstream_timeout" : "upstream_failed"));
        job_.writer->finish();
    } else {
        // Not an event stream: no way to say "error" inside the body, so cut the connection
        // (dropping the writer before finish() does) and the client sees it incomplete.
        job_.writer.reset();
    }
    complete(head_.status);
}

void ProxyCall::complete(int status) {
    asio::post(strand_, [self = shared_from_this()] { self->deadline_.cancel(); });
    const Clock::time_point now = Clock::now();
    if (job_.key_index) settle_tokens();  // before the metrics, which tests wait on
    GatewayMetrics& m = rt_->metrics();
    m.request_duration.observe(seconds_between(started_, now));
    if (status >= 200 && status < 300) m.responses_2xx.inc();
    if (status >= 400 && status < 500) m.responses_4xx.inc();
    if (status >= 500) m.responses_5xx.inc();
    obs::logger("gateway")->info(
        "req {} {} {} -> {} upstream={} attempts={} {:.3f}s", job_.request_id, job_.request.method,
        job_.request.path(), status == 0 ? std::string("gone") : std::to_string(status),
        tried_.empty() ? std::string("-") : rt_->pool().upstream(index_).name, tried_.size(),
        seconds_between(started_, now));
}

// The rate limiter charged an estimate up front; what the answer used replaces it. An answer
// that says nothing (an error, a body past the capture bound, a stream that is not SSE) keeps
// the estimate.
void ProxyCall::settle_tokens() {
    std::optional<int64_t> used;
    if (stream_usage_) {
        used = stream_usage_->total_tokens(job_.estimated_prompt_tokens);
    } else if (!captured_.empty()) {
        used = usage_total_tokens(captured_);
    }
    if (used) rt_->rate_limiter().adjust_tokens(*job_.key_index, *used - job_.estimated_tokens);
}

}  // namespace

void start_proxy(std::shared_ptr<GatewayRuntime> runtime, ProxyJob job) {
    auto call = std::make_shared<ProxyCall>(std::move(runtime), std::move(job));
    call->start();
}

}  // namespace glmserve::gateway
