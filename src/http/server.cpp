// Server (see server.h): the listener, the registry of sessions, draining and stopping. The
// per-connection work lives in server_session.cpp; what both share is ServerCore
// (server_session.h).
//
// Each accepted connection gets a Session on its own strand; the acceptor has a strand of its
// own. Server::Impl declares its io_context after the ServerCore: ~io_context frees sessions
// still held by pending handlers, and they must find the core alive.
// Thread: acceptor and accept_timer on acceptor_strand (and from stop() once the io threads are
// joined); ServerCore as documented in server_session.h.
#include "http/server.h"

#include <fmt/format.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <thread>

#include "common/check.h"
#include "http/server_session.h"
#include "obs/logging.h"

namespace glmserve::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using detail::ServerCore;
using detail::Session;
using detail::Strand;

namespace {

constexpr std::chrono::milliseconds kAcceptRetry{50};

}  // namespace

struct Server::Impl {
    Impl(ServerConfig config, Handler handler)
        : core(std::move(config), std::move(handler)),
          work(io.get_executor()),
          acceptor_strand(asio::make_strand(io)),
          acceptor(acceptor_strand),
          accept_timer(acceptor_strand) {}

    Status listen(const tcp::endpoint& endpoint);
    void accept();
    void on_accept(const Strand& strand, tcp::socket socket, const beast::error_code& ec);
    void begin_drain();
    void stop();

    ServerCore core;
    uint16_t port = 0;
    std::mutex stop_mu;
    bool stopped = false;  // guarded by stop_mu
    asio::io_context io;   // after core: see the file comment
    asio::executor_work_guard<asio::io_context::executor_type> work;
    Strand acceptor_strand;
    tcp::acceptor acceptor;
    asio::steady_timer accept_timer;
    std::vector<std::thread> threads;
};

Status Server::Impl::listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    auto fail = [&](const char* what) {
        return unavailable(fmt::format("HTTP server cannot {} {}:{}: {}", what, core.config.host,
                                       core.config.port, ec.message()));
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return fail("open a socket for");
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("set SO_REUSEADDR on");
    acceptor.bind(endpoint, ec);
    if (ec) return fail("bind");
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen on");
    port = acceptor.local_endpoint(ec).port();
    if (ec) return fail("read the port of");
    return ok_status();
}

// The socket is accepted onto the strand its Session will run on; the Session is made after
// the accept, so it takes the TLS context current at that moment (reload_tls).
void Server::Impl::accept() {
    Strand strand = asio::make_strand(io);
    acceptor.async_accept(strand, [this, strand](const beast::error_code& ec, tcp::socket socket) {
        on_accept(strand, std::move(socket), ec);
    });
}

// Past max_connections a Session still answers (503, then closes), so the client learns why;
// past twice the limit the socket is just closed, so a flood costs nothing to hold.
void Server::Impl::on_accept(const Strand& strand, tcp::socket socket,
                             const beast::error_code& ec) {
    if (!acceptor.is_open()) return;
    ServerCounters& counters = core.counters;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        counters.accept_errors.fetch_add(1, std::memory_order_relaxed);
        obs::logger("http")->warn("HTTP accept on port {}: {}; retrying in {} ms", port,
                                  ec.message(), kAcceptRetry.count());
        accept_timer.expires_after(kAcceptRetry);
        accept_timer.async_wait([this](const beast::error_code& wec) {
            if (!wec && acceptor.is_open()) accept();
        });
        return;
    }
    counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    const size_t limit = core.config.limits.max_connections;
    bool admitted = core.n_connections.load() < limit;
    if (!admitted) counters.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    bool answer = !core.draining.load() && (admitted || core.n_rejecting.load() < limit);
    if (answer) {
        auto session =
            std::make_shared<Session>(core, strand, std::move(socket), core.tls_context());
        if (core.enroll(session, admitted)) {
            asio::post(session->strand_, [session] { session->start(); });
        } else {
            beast::error_code ignored;
            session->stream_.socket().close(ignored);
        }
    } else {
        beast::error_code ignored;
        socket.close(ignored);
    }
    accept();
}

void Server::Impl::begin_drain() {
    if (core.draining.exchange(true)) return;
    asio::post(acceptor_strand, [this] {
        beast::error_code ignored;
        acceptor.close(ignored);
        accept_timer.cancel();
    });
    for (auto& session : core.snapshot()) {
        asio::post(session->strand_, [session] { session->on_drain(); });
    }
}

// Closes the gate first, so no writer posts into an io_context that is going away, then stops
// and joins the io threads and closes what is left from this thread (on_close callbacks of
// requests still in flight run here).
void Server::Impl::stop() {
    std::lock_guard stop_lock(stop_mu);
    if (stopped) return;
    stopped = true;
    GS_CHECK(!io.get_executor().running_in_this_thread());
    {
        std::unique_lock lock(core.gate->mu);
        core.gate->open = false;
    }
    core.draining.store(true);
    io.stop();
    for (auto& t : threads) t.join();
    threads.clear();
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_timer.cancel();
    for (auto& [ptr, session] : core.take_all()) session->close_now();
}

namespace detail {

bool ServerCore::enroll(const std::shared_ptr<Session>& session, bool admitted) {
    std::lock_guard lock(registry_mu_);
    if (stopping_) return false;
    sessions_.emplace(session.get(), session);
    (admitted ? n_connections : n_rejecting).fetch_add(1);
    session->admitted_ = admitted;
    session->registered_ = true;
    return true;
}

void ServerCore::release(Session* session, bool admitted) {
    std::shared_ptr<Session> dropped;  // destroyed after the lock is released
    {
        std::lock_guard lock(registry_mu_);
        auto it = sessions_.find(session);
        if (it != sessions_.end()) {
            dropped = std::move(it->second);
            sessions_.erase(it);
        }
    }
    (admitted ? n_connections : n_rejecting).fetch_sub(1);
}

std::vector<std::shared_ptr<Session>> ServerCore::snapshot() {
    std::lock_guard lock(registry_mu_);
    std::vector<std::shared_ptr<Session>> out;
    out.reserve(sessions_.size());
    for (const auto& [ptr, session] : sessions_) out.push_back(session);
    return out;
}

std::unordered_map<Session*, std::shared_ptr<Session>> ServerCore::take_all() {
    std::lock_guard lock(registry_mu_);
    stopping_ = true;
    return std::exchange(sessions_, {});
}

std::shared_ptr<TlsContext> ServerCore::tls_context() const {
    std::lock_guard lock(tls_mu_);
    return tls_;
}

void ServerCore::set_tls_context(std::shared_ptr<TlsContext> tls) {
    std::lock_guard lock(tls_mu_);
    tls_ = std::move(tls);
}

Response ServerCore::error_response(int status, std::string message) const {
    if (config.error_body) {
        Response r = config.error_body(status, std::move(message));
        r.status = status;
        return r;
    }
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(message) + "\n";
    return r;
}

}  // namespace detail

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (detail::ascii_iequals(key, name)) return std::string_view(value);
    }
    return std::nullopt;
}

std::string_view Request::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

Result<std::unique_ptr<Server>> Server::start(ServerConfig config, Handler handler) {
    if (config.io_threads <= 0) {
        return invalid_argument(
            fmt::format("HTTP server io_threads must be positive, got {}", config.io_threads));
    }
    if (!handler) return invalid_argument("HTTP server needs a handler");
    if (config.limits.max_connections == 0) {
        return invalid_argument("HTTP server max_connections must be positive");
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(config.host, ec);
    if (ec) {
        return invalid_argument(
            fmt::format("HTTP server host '{}' is not an IP address", config.host));
    }
    std::shared_ptr<TlsContext> tls;
    if (config.tls.enabled()) {
        GS_ASSIGN_OR_RETURN(tls, TlsContext::for_server(config.tls));
    }
    const int n_threads = config.io_threads;
    auto impl = std::make_unique<Impl>(std::move(config), std::move(handler));
    impl->core.set_tls_context(std::move(tls));
    Status listening = impl->listen(tcp::endpoint(address, impl->core.config.port));
    if (!listening.ok()) return listening;
    impl->accept();
    for (int i = 0; i < n_threads; ++i) {
        impl->threads.emplace_back([io = &impl->io] { io->run(); });
    }
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

uint16_t Server::port() const {
    return impl_->port;
}

size_t Server::n_connections() const {
    return impl_->core.n_connections.load();
}

size_t Server::n_active_requests() const {
    return impl_->core.n_active_requests.load();
}

const ServerCounters& Server::counters() const {
    return impl_->core.counters;
}

Status Server::reload_tls(const TlsServerOptions& options) {
    if (!impl_->core.tls_context()) {
        return failed_precondition(
            "this HTTP server was started without TLS; restart it to add TLS");
    }
    GS_ASSIGN_OR_RETURN(auto tls, TlsContext::for_server(options));
    impl_->core.set_tls_context(std::move(tls));
    return ok_status();
}

void Server::begin_drain() {
    impl_->begin_drain();
}

void Server::stop() {
    impl_->stop();
}

}  // namespace glmserve::http
