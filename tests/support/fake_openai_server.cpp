// FakeOpenAiServer (see fake_openai_server.h): a Beast server with one Session per accepted
// connection. A Session reads a request, snapshots the behaviour, and answers it either as one
// response or as a chunked SSE stream driven by a timer, then reads the next request when the
// client keeps the connection alive.
// Thread: everything below Impl's public surface runs on the server's io_context thread; the
// behaviour and the "last request" fields are shared with test threads under `mu`.
#include "support/fake_openai_server.h"

// g++ 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside Beast's request
// parser (basic_parser.hpp, a boost::optional content length). The warning points into Boost,
// not this file; silencing it here keeps the sanitizer build -Werror clean.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/check.h"

namespace glmserve::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

struct FakeOpenAiServer::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::thread thread;
    uint16_t port = 0;
    std::atomic<int> n_requests{0};
    std::atomic<int> n_connections{0};
    mutable std::mutex mu;
    FakeBehavior behavior;           // guarded by mu
    std::string last_body;           // guarded by mu
    std::string last_authorization;  // guarded by mu

    void accept();
};

namespace {

// What one request asked for, after the behaviour is applied.
struct Plan {
    bool chat = false;
    bool stream = false;
    bool stream_usage = false;
    int n_tokens = 0;
    bool limited_by_max_tokens = false;
    int n_prompt_tokens = 1;
    std::string model = "fake-model";
    FakeBehavior behavior;
};

// obj[key] is the JSON boolean true (json::value() would throw on other types).
bool is_true(const json& obj, const char* key) {
    if (!obj.is_object()) return false;
    auto it = obj.find(key);
    return it != obj.end() && it->is_boolean() && it->get<bool>();
}

int count_words(std::string_view text) {
    int n = 0;
    bool in_word = false;
    for (char c : text) {
        bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

// Words in "prompt" (a string or an array of them) and in every message's string content.
int count_prompt_words(const json& req) {
    int n = 0;
    auto add = [&](const json& v) {
        if (v.is_string()) n += count_words(v.get_ref<const std::string&>());
    };
    if (auto it = req.find("prompt"); it != req.end()) {
        if (it->is_array()) {
            for (const auto& p : *it) add(p);
        } else {
            add(*it);
        }
    }
    if (auto it = req.find("messages"); it != req.end() && it->is_array()) {
        for (const auto& m : *it) {
            if (m.is_object() && m.contains("content")) add(m["content"]);
        }
    }
    return n;
}

std::string token_text(int i) {
    return fmt::format(" tok{}", i);
}

json usage_json(const Plan& p) {
    return {{"prompt_tokens", p.n_prompt_tokens},
            {"completion_tokens", p.n_tokens},
            {"total_tokens", p.n_prompt_tokens + p.n_tokens}};
}

std::string finish_reason(const Plan& p) {
    return p.limited_by_max_tokens ? "length" : "stop";
}

std::string chunk_json(const Plan& p, int i) {
    json choice = {{"index", 0}, {"finish_reason", nullptr}};
    if (i + 1 == p.n_tokens) choice["finish_reason"] = finish_reason(p);
    if (p.chat) {
        choice["delta"] = {{"content", token_text(i)}};
        if (i == 0) choice["delta"]["role"] = "assistant";
    } else {
        choice["text"] = token_text(i);
    }
    json chunk = {{"id", "fake-1"},
                  {"object", p.chat ? "chat.completion.chunk" : "text_completion"},
                  {"created", 0},
                  {"model", p.model},
                  {"choices", json::array({choice})}};
    return "data: " + chunk.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string full_json(const Plan& p) {
    std::string text;
    for (int i = 0; i < p.n_tokens; ++i) text += token_text(i);
    json choice = {{"index", 0}, {"finish_reason", finish_reason(p)}};
    if (p.chat) {
        choice["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
        choice["text"] = text;
    }
    json body = {{"id", "fake-1"},
                 {"object", p.chat ? "chat.completion" : "text_completion"},
                 {"created", 0},
                 {"model", p.model},
                 {"choices", json::array({choice})}};
    if (p.behavior.include_usage) body["usage"] = usage_json(p);
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_json(int status, std::string_view message) {
    const char* type = status == 429  ? "rate_limit_error"
                       : status < 500 ? "invalid_request_error"
                                      : "server_error";
    json body = {{"error", {{"message", message}, {"type", type}, {"code", status}}}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(FakeOpenAiServer::Impl& server, tcp::socket socket)
        : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

    void read_request();

private:
    void on_request(const beast::error_code& ec);
    bool answer_info(const bhttp::request<bhttp::string_body>& req, const FakeBehavior& b);
    std::optional<Plan> plan(const bhttp::request<bhttp::string_body>& req, FakeBehavior b);
    void next_request(const beast::error_code& ec);
    void send_whole(int status, std::string body, std::string_view content_type);
    void send_cut(std::string body);
    void start_stream();
    void stream_step(int i);
    void write_chunk(std::string_view bytes, std::function<void()> next);
    void write_raw(std::string bytes, std::function<void()> next);
    void write_next();
    void after(std::chrono::milliseconds delay, std::function<void()> next);
    void close();

    FakeOpenAiServer::Impl& server_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bool keep_alive_ = true;
    Plan plan_;
    std::deque<std::pair<std::shared_ptr<std::string>, std::function<void()>>> pending_;
};

void Session::read_request() {
    parser_.emplace();
    parser_->body_limit(8 << 20);
    bhttp::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const beast::error_code& ec, size_t) { self->on_request(ec); });
}

void Session::on_request(const beast::error_code& ec) {
    if (ec) return close();
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    FakeBehavior b;
    {
        std::lock_guard lock(server_.mu);
        server_.last_body = req.body();
        auto auth = req.find(bhttp::field::authorization);
        server_.last_authorization = auth == req.end() ? "" : std::string(auth->value());
        b = server_.behavior;
    }
    server_.n_requests.fetch_add(1, std::memory_order_relaxed);
    plan_ = Plan{};
    plan_.behavior = b;  // an error answered inside plan() still sees this request's behaviour
    if (!b.required_api_key.empty()) {
        const auto auth = req.find(bhttp::field::authorization);
        if (auth == req.end() || auth->value() != "Bearer " + b.required_api_key) {
            return send_whole(401, error_json(401, "invalid API key"), "application/json");
        }
    }
    if (answer_info(req, b)) return;
    std::optional<Plan> p = plan(req, b);
    if (!p) return;  // an error answer is on its way
    plan_ = *p;
    if (b.status != 200) {
        return send_whole(b.status, error_json(b.status, fmt::format("fake error {}", b.status)),
                          "application/json");
    }
    if (plan_.stream) return start_stream();
    auto total = b.ttft + b.inter_token * std::max(plan_.n_tokens - 1, 0);
    after(total, [this, self = shared_from_this()] {
        if (plan_.behavior.cut_stream_after) return send_cut(full_json(plan_));
        send_whole(200, full_json(plan_), "application/json");
    });
}

// GET /v1/models and POST /tokenize; false when the request is for another route.
bool Session::answer_info(const bhttp::request<bhttp::string_body>& req, const FakeBehavior& b) {
    const std::string_view target(req.target().data(), req.target().size());
    const bool models = target == "/v1/models";
    if (!models && target != "/tokenize") return false;
    if (models ? !b.serve_models : !b.serve_tokenize) {
        send_whole(404, error_json(404, fmt::format("no route {}", target)), "application/json");
        return true;
    }
    const auto method = models ? bhttp::verb::get : bhttp::verb::post;
    if (req.method() != method) {
        send_whole(405, error_json(405, models ? "use GET" : "use POST"), "application/json");
        return true;
    }
    json answer;
    if (models) {
        json data = json::array();
        if (!b.model_id.empty()) {
            data.push_back(
                {{"id", b.model_id}, {"object", "model"}, {"created", 0}, {"owned_by", "fake"}});
        }
        answer = {{"object", "list"}, {"data", std::move(data)}};
    } else {
        json body = json::parse(req.body(), nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("prompt")) {
            send_whole(400, error_json(400, "body is not a JSON object with \"prompt\""),
                       "application/json");
            return true;
        }
        const int n = count_prompt_words(body) * b.tokens_per_word;
        json tokens = json::array();
        for (int i = 0; i < n; ++i) tokens.push_back(i);
        answer = {{"tokens", std::move(tokens)}, {"count", n}, {"max_model_len", 4096}};
    }
    send_whole(200, answer.dump(-1, ' ', false, json::error_handler_t::replace),
               "application/json");
    return true;
}

std::optional<Plan> Session::plan(const bhttp::request<bhttp::string_body>& req, FakeBehavior b) {
    std::string_view target(req.target().data(), req.target().size());
    Plan p;
    p.behavior = b;
    p.chat = target == "/v1/chat/completions";
    if (!p.chat && target != "/v1/completions") {
        send_whole(404, error_json(404, fmt::format("no route {}", target)), "application/json");
        return std::nullopt;
    }
    if (req.method() != bhttp::verb::post) {
        send_whole(405, error_json(405, "use POST"), "application/json");
        return std::nullopt;
    }
    json body = json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        send_whole(400, error_json(400, "body is not a JSON object"), "application/json");
        return std::nullopt;
    }
    p.stream = is_true(body, "stream");
    auto opts = body.find("stream_options");
    p.stream_usage = b.include_usage && opts != body.end() && is_true(*opts, "include_usage");
    p.n_tokens = b.n_tokens;
    if (auto mt = body.find("max_tokens"); mt != body.end() && mt->is_number_integer()) {
        constexpr int64_t kMaxTokens = 1 << 20;
        p.n_tokens = static_cast<int>(std::clamp<int64_t>(mt->get<int64_t>(), 0, kMaxTokens));
        p.limited_by_max_tokens = true;
    }
    if (auto m = body.find("model"); m != body.end() && m->is_string()) p.model = *m;
    if (b.require_model_id && p.model != b.model_id) {
        json error = {{"error",
                       {{"message", fmt::format("model '{}' not found", p.model)},
                        {"type", "invalid_request_error"},
                        {"code", "model_not_found"}}}};
        send_whole(404, error.dump(-1, ' ', false, json::error_handler_t::replace),
                   "application/json");
        return std::nullopt;
    }
    p.n_prompt_tokens = std::max(count_prompt_words(body) * b.tokens_per_word, 1);
    return p;
}

// After a complete response: read the next request on this connection, or close it.
void Session::next_request(const beast::error_code& ec) {
    if (ec || !keep_alive_ || plan_.behavior.close_after_response) return close();
    read_request();
}

void Session::send_whole(int status, std::string body, std::string_view content_type) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(status), 11);
    res->set(bhttp::field::content_type,
             beast::string_view(content_type.data(), content_type.size()));
    if (status == 429 || status == 503) res->set(bhttp::field::retry_after, "1");
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    bhttp::async_write(socket_, *res,
                       [self = shared_from_this(), res](const beast::error_code& ec, size_t) {
                           self->next_request(ec);
                       });
}

void Session::send_cut(std::string body) {
    std::string raw = fmt::format(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.size(), body.substr(0, body.size() / 2));
    write_raw(std::move(raw), [this] { close(); });
}

void Session::start_stream() {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\n";
    head += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    write_raw(std::move(head), [this] {
        after(plan_.behavior.ttft, [this] {
            if (plan_.behavior.garbage_sse) {
                return write_chunk("this is not an event stream\n<html>oops</html>\n\n",
                                   [this] { stream_step(0); });
            }
            stream_step(0);
        });
    });
}

// Token i (or the end of the stream once i == n_tokens). Each SSE event is one HTTP chunk.
void Session::stream_step(int i) {
    const FakeBehavior& b = plan_.behavior;
    if (b.cut_stream_after && i == b.cut_after_tokens) return close();
    if (i < plan_.n_tokens) {
        return write_chunk(chunk_json(plan_, i), [this, i] {
            after(
                i + 1 < plan_.n_tokens ? plan_.behavior.inter_token : std::chrono::milliseconds(0),
                [this, i] { stream_step(i + 1); });
        });
    }
    if (plan_.stream_usage) {
        json usage = {{"id", "fake-1"},
                      {"object", plan_.chat ? "chat.completion.chunk" : "text_completion"},
                      {"created", 0},
                      {"model", plan_.model},
                      {"choices", json::array()},
                      {"usage", usage_json(plan_)}};
        write_chunk("data: " + usage.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n",
                    [] {});
    }
    write_chunk("data: [DONE]\n\n", [] {});
    write_raw("0\r\n\r\n", [this] { next_request({}); });
}

// Queues `bytes` as one HTTP chunk (SSE events, garbage) after what is already queued.
void Session::write_chunk(std::string_view bytes, std::function<void()> next) {
    write_raw(fmt::format("{:x}\r\n{}\r\n", bytes.size(), bytes), std::move(next));
}

// Queues bytes that carry their own framing (the head, the last chunk, a cut body); `next`
// runs once they are written. One write is in flight at a time, in queue order.
void Session::write_raw(std::string bytes, std::function<void()> next) {
    pending_.emplace_back(std::make_shared<std::string>(std::move(bytes)), std::move(next));
    if (pending_.size() == 1) write_next();
}

void Session::write_next() {
    auto out = pending_.front().first;
    asio::async_write(socket_, asio::buffer(*out),
                      [self = shared_from_this(), out](const beast::error_code& ec, size_t) {
                          if (ec) {
                              self->pending_.clear();
                              return self->close();
                          }
                          auto next = std::move(self->pending_.front().second);
                          self->pending_.pop_front();
                          if (!self->pending_.empty()) self->write_next();
                          next();
                      });
}

void Session::after(std::chrono::milliseconds delay, std::function<void()> next) {
    if (delay.count() <= 0) return next();
    timer_.expires_after(delay);
    timer_.async_wait(
        [self = shared_from_this(), next = std::move(next)](const beast::error_code& ec) {
            if (!ec) next();
        });
}

void Session::close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
}

}  // namespace

void FakeOpenAiServer::Impl::accept() {
    acceptor.async_accept([this](const beast::error_code& ec, tcp::socket socket) {
        if (ec) return;  // acceptor closed: shutting down
        n_connections.fetch_add(1, std::memory_order_relaxed);
        std::make_shared<Session>(*this, std::move(socket))->read_request();
        accept();
    });
}

FakeOpenAiServer::FakeOpenAiServer() : impl_(std::make_unique<Impl>()) {}

std::unique_ptr<FakeOpenAiServer> FakeOpenAiServer::start(FakeBehavior initial) {
    std::unique_ptr<FakeOpenAiServer> server(new FakeOpenAiServer());  // private constructor
    Impl& impl = *server->impl_;
    impl.behavior = initial;
    beast::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl.acceptor.open(ep.protocol(), ec);
    GS_CHECK(!ec);
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    impl.acceptor.bind(ep, ec);
    GS_CHECK(!ec);
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    GS_CHECK(!ec);
    impl.port = impl.acceptor.local_endpoint().port();
    impl.accept();
    impl.thread = std::thread([&impl] { impl.io.run(); });
    return server;
}

FakeOpenAiServer::~FakeOpenAiServer() {
    asio::post(impl_->io, [impl = impl_.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
        impl->io.stop();
    });
    impl_->thread.join();
}

uint16_t FakeOpenAiServer::port() const {
    return impl_->port;
}

std::string FakeOpenAiServer::url() const {
    return fmt::format("http://127.0.0.1:{}", impl_->port);
}

void FakeOpenAiServer::set_behavior(FakeBehavior behavior) {
    std::lock_guard lock(impl_->mu);
    impl_->behavior = behavior;
}

FakeBehavior FakeOpenAiServer::behavior() const {
    std::lock_guard lock(impl_->mu);
    return impl_->behavior;
}

int FakeOpenAiServer::requests_seen() const {
    return impl_->n_requests.load(std::memory_order_relaxed);
}

int FakeOpenAiServer::connections_accepted() const {
    return impl_->n_connections.load(std::memory_order_relaxed);
}

std::string FakeOpenAiServer::last_request_body() const {
    std::lock_guard lock(impl_->mu);
    return impl_->last_body;
}

std::string FakeOpenAiServer::last_authorization() const {
    std::lock_guard lock(impl_->mu);
    return impl_->last_authorization;
}

}  // namespace glmserve::testing
