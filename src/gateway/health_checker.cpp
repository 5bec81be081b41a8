#include "gateway/health_checker.h"

#include <boost/asio/post.hpp>

#include "obs/logging.h"

namespace glmserve::gateway {
namespace {

namespace asio = boost::asio;

// A health answer is small; a body past this is cut (the check then fails as DataLoss).
constexpr uint64_t kMaxCheckBodyBytes = 1 << 20;

http::ClientTimeouts check_timeouts(const GatewayConfig& c) {
    const Millis t = c.health.timeout;
    return {.connect = std::min(c.timeouts.connect, t),
            .first_byte = t,
            .idle_between_chunks = t,
            .total = t};
}

// The answer to one GET, gathered for the strand.
struct Answer {
    int status = 0;
    std::string body;
};

}  // namespace

std::shared_ptr<HealthChecker> HealthChecker::start(
    asio::io_context& io, std::shared_ptr<UpstreamPool> pool, const GatewayConfig& config,
    std::shared_ptr<http::TlsContext> upstream_tls) {
    auto checker =
        std::make_shared<HealthChecker>(Passkey{}, io, std::move(pool), config, upstream_tls);
    if (!config.health.enabled && !config.health.poll_load) return checker;
    for (size_t i = 0; i < checker->targets_.size(); ++i) checker->schedule(i, Millis(0));
    return checker;
}

HealthChecker::HealthChecker(Passkey, asio::io_context& io, std::shared_ptr<UpstreamPool> pool,
                             const GatewayConfig& config,
                             const std::shared_ptr<http::TlsContext>& upstream_tls)
    : strand_(asio::make_strand(io)), pool_(std::move(pool)), config_(config.health) {
    const http::ClientLimits limits{.max_body_bytes = kMaxCheckBodyBytes};
    for (const UpstreamConfig& u : config.upstreams) {
        Target t;
        t.health_connection =
            http::Connection::create(io, u.url, check_timeouts(config), limits, upstream_tls);
        t.status_connection =
            http::Connection::create(io, u.url, check_timeouts(config), limits, upstream_tls);
        t.timer = std::make_unique<asio::steady_timer>(strand_);
        t.polls_load = config.health.poll_load;
        targets_.push_back(std::move(t));
    }
}

// Nothing to close here: stop() did (it posts, so it must run while the io_context does).
HealthChecker::~HealthChecker() = default;

void HealthChecker::stop() {
    if (stopped_.exchange(true)) return;
    asio::post(strand_, [self = shared_from_this()] {
        for (Target& t : self->targets_) {
            t.timer->cancel();
            t.health_connection->close();
            t.status_connection->close();
        }
    });
}

void HealthChecker::schedule(size_t index, Millis delay) {
    asio::post(strand_, [weak = weak_from_this(), index, delay] {
        auto self = weak.lock();
        if (!self || self->stopped_) return;
        asio::steady_timer& timer = *self->targets_[index].timer;
        timer.expires_after(delay);
        timer.async_wait([weak, index](const boost::system::error_code& ec) {
            auto me = weak.lock();
            if (ec || !me || me->stopped_) return;
            me->check(index);
        });
    });
}

// GETs `target` on `connection` and hands the answer to `done` on the strand.
template <typename Done>
void get_on_strand(const std::shared_ptr<http::Connection>& connection, std::string target,
                   asio::strand<asio::io_context::executor_type> strand, Done done) {
    auto answer = std::make_shared<Answer>();
    connection->async_request(
        {.method = "GET", .target = std::move(target), .headers = {}, .body = {}},
        {.on_head = [answer](const http::ResponseHead& head) { answer->status = head.status; },
         .on_body = [answer](std::string_view chunk) { answer->body.append(chunk); },
         .on_done =
             [answer, strand, done = std::move(done)](const Status& status) {
                 asio::post(strand, [answer, ok = status.ok(), done] { done(*answer, ok); });
             }});
}

void HealthChecker::check(size_t index) {
    if (!config_.enabled) return poll_load(index);
    get_on_strand(targets_[index].health_connection, config_.path, strand_,
                  [weak = weak_from_this(), index](const Answer& a, bool ok) {
                      auto self = weak.lock();
                      if (!self || self->stopped_) return;
                      self->on_checked(index, ok && a.status >= 200 && a.status < 300);
                  });
}

void HealthChecker::on_checked(size_t index, bool ok) {
    if (pool_->record_health(index, ok)) {
        const UpstreamConfig& u = pool_->upstream(index);
        if (ok) {
            obs::logger("gateway")->info("upstream {} ({}) is healthy", u.name, u.url.to_string());
        } else {
            obs::logger("gateway")->warn("upstream {} ({}) is unhealthy: {} failed", u.name,
                                         u.url.to_string(), config_.path);
        }
    }
    poll_load(index);
}

void HealthChecker::poll_load(size_t index) {
    if (!targets_[index].polls_load) return schedule(index, config_.interval);
    get_on_strand(targets_[index].status_connection, "/v1/status", strand_,
                  [weak = weak_from_this(), index](const Answer& a, bool ok) {
                      auto self = weak.lock();
                      if (!self || self->stopped_) return;
                      self->on_load(index, a.status, a.body, ok);
                  });
}

void HealthChecker::on_load(size_t index, int status, const std::string& body, bool ok) {
    if (ok && status == 200) {
        std::optional<LoadReport> report = parse_load_report(body);
        if (!report) targets_[index].polls_load = false;  // answers, but not as glmserve does
        pool_->record_load(index, report);
    } else if (ok && status >= 400 && status < 500) {
        targets_[index].polls_load = false;  // no such route: not a glmserve replica
        pool_->record_load(index, std::nullopt);
    }
    // A failed poll (down, timeout, 5xx) keeps the last report; the health check decides.
    schedule(index, config_.interval);
}

}  // namespace glmserve::gateway
