// The load runner; see runner.h for the contract.
#include "bench/runner.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <thread>

#include "http/client.h"

namespace glmserve::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using ConnectionPtr = std::shared_ptr<http::Connection>;

namespace {

// One run. Every member is touched only on strand_ (see runner.h).
class LoadRun : public std::enable_shared_from_this<LoadRun> {
public:
    LoadRun(asio::io_context& io, const RunnerConfig& config, const std::vector<Prompt>& prompts,
            std::vector<double> schedule)
        : io_(io),
          strand_(asio::make_strand(io)),
          config_(config),
          prompts_(prompts),
          schedule_(std::move(schedule)),
          arrival_timer_(strand_),
          duration_timer_(strand_) {}

    void start() {
        asio::post(strand_, [self = shared_from_this()] { self->on_start(); });
    }

    RunResult take_result() { return {std::move(records_), wall_s_}; }

private:
    bool closed_loop() const { return config_.shape.kind == LoadKind::ClosedLoop; }
    double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

    // Whether another request may be sent now.
    bool may_send() const {
        // The clock check as well as the timer's flag: a completion queued just before the
        // duration timer fires must not send past the duration.
        if (stopped_ || (config_.shape.duration_s && elapsed_s() >= *config_.shape.duration_s)) {
            return false;
        }
        if (closed_loop()) {
            return !config_.shape.n_requests ||
                   n_sent_ < static_cast<uint64_t>(*config_.shape.n_requests);
        }
        return next_arrival_ < schedule_.size();
    }

    void on_start();
    void on_arrival_timer();
    void arm_arrival_timer();
    // Sends the next prompt; scheduled_s is its due time (nullopt in a closed loop: now).
    void send_one(std::optional<double> scheduled_s = std::nullopt);
    void on_request_done(ConnectionPtr conn, RequestRecord record);
    void maybe_finish();
    ConnectionPtr take_connection();

    asio::io_context& io_;
    asio::strand<asio::io_context::executor_type> strand_;
    const RunnerConfig& config_;          // owned by run_load's caller, outlives the run
    const std::vector<Prompt>& prompts_;  // same
    std::vector<double> schedule_;        // open loop send offsets, ascending
    size_t next_arrival_ = 0;
    std::deque<double> waiting_;  // due open-loop arrivals (offsets) waiting for a connection
    asio::steady_timer arrival_timer_;
    asio::steady_timer duration_timer_;
    Clock::time_point t0_;
    bool stopped_ = false;  // duration passed: send nothing more
    bool finished_ = false;
    uint64_t n_sent_ = 0;
    uint64_t n_in_flight_ = 0;
    uint64_t n_failed_ = 0;
    size_t n_connections_ = 0;
    std::vector<ConnectionPtr> idle_;
    std::vector<ConnectionPtr> all_;
    std::vector<RequestRecord> records_;
    double wall_s_ = 0;
};

void LoadRun::on_start() {
    t0_ = Clock::now();
    if (config_.shape.duration_s) {
        duration_timer_.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(*config_.shape.duration_s)));
        duration_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            self->stopped_ = true;
            self->waiting_.clear();
            self->arrival_timer_.cancel();
            self->maybe_finish();
        });
    }
    if (closed_loop()) {
        for (int64_t i = 0; i < config_.shape.concurrency && may_send(); ++i) send_one();
    } else {
        arm_arrival_timer();
    }
    maybe_finish();
}

void LoadRun::arm_arrival_timer() {
    if (!may_send()) return;
    arrival_timer_.expires_at(t0_ + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(schedule_[next_arrival_])));
    arrival_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->on_arrival_timer();
    });
}

void LoadRun::on_arrival_timer() {
    const double now_s = elapsed_s();
    while (may_send() && schedule_[next_arrival_] <= now_s) {
        waiting_.push_back(schedule_[next_arrival_++]);
    }
    while (!waiting_.empty() && (!idle_.empty() || n_connections_ < kMaxOpenConnections)) {
        send_one(waiting_.front());
        waiting_.pop_front();
    }
    arm_arrival_timer();
}

ConnectionPtr LoadRun::take_connection() {
    if (!idle_.empty()) {
        ConnectionPtr conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
    }
    ++n_connections_;
    all_.push_back(
        http::Connection::create(io_, config_.base_url, client_timeouts(config_), {}, config_.tls));
    return all_.back();
}

void LoadRun::send_one(std::optional<double> scheduled_s) {
    const uint64_t index = n_sent_++;
    ++n_in_flight_;
    const Prompt& prompt = prompts_[index % prompts_.size()];
    ConnectionPtr conn = take_connection();
    const Clock::time_point t_send = Clock::now();
    const double start_s = std::chrono::duration<double>(t_send - t0_).count();
    auto measurer = std::make_shared<StreamMeasurer>(config_.request.api, index, start_s,
                                                     prompt.n_tokens_prompt_estimate, t_send);
    http::ClientCallbacks callbacks;
    callbacks.on_head = [measurer](const http::ResponseHead& head) {
        measurer->on_head(head.status);
    };
    callbacks.on_body = [measurer](std::string_view bytes) {
        measurer->on_body(bytes, Clock::now());
    };
    // The record is finished on the connection's strand, then handed to the run's strand.
    const double due_s = scheduled_s.value_or(start_s);
    callbacks.on_done = [self = shared_from_this(), measurer, conn, due_s](const Status& status) {
        RequestRecord record = measurer->finish(status, Clock::now());
        record.scheduled_s = due_s;
        asio::post(self->strand_, [self, conn, record = std::move(record)]() mutable {
            self->on_request_done(conn, std::move(record));
        });
    };
    conn->async_request(build_request(config_.request, prompt), std::move(callbacks));
}

void LoadRun::on_request_done(ConnectionPtr conn, RequestRecord record) {
    --n_in_flight_;
    if (record.outcome != Outcome::Ok) ++n_failed_;
    records_.push_back(std::move(record));
    idle_.push_back(std::move(conn));
    wall_s_ = elapsed_s();
    if (config_.on_progress) {
        config_.on_progress({.n_sent = n_sent_,
                             .n_done = records_.size(),
                             .n_failed = n_failed_,
                             .n_in_flight = n_in_flight_,
                             .elapsed_s = wall_s_});
    }
    if (closed_loop()) {
        if (may_send()) send_one();
    } else if (!waiting_.empty()) {
        send_one(waiting_.front());
        waiting_.pop_front();
    }
    maybe_finish();
}

// Ends the run once nothing is in flight and nothing more will be sent: cancels the timers and
// closes every connection, so the io_context runs out of work and run() returns.
void LoadRun::maybe_finish() {
    if (finished_ || n_in_flight_ > 0 || !waiting_.empty() || may_send()) return;
    finished_ = true;
    arrival_timer_.cancel();
    duration_timer_.cancel();
    for (const auto& conn : all_) conn->close();
    idle_.clear();
    all_.clear();
}

}  // namespace

http::ClientTimeouts client_timeouts(const RunnerConfig& config) {
    const auto total = config.request_timeout;
    return {.connect = std::min(config.connect_timeout, total),
            .first_byte = total,
            .idle_between_chunks = total,
            .total = total};
}

Result<RunResult> run_load(const RunnerConfig& config, const std::vector<Prompt>& prompts) {
    if (prompts.empty()) return invalid_argument("no prompts to send");
    GS_RETURN_IF_ERROR(validate(config.shape));
    if (config.n_extra_io_threads < 0 || config.n_extra_io_threads > 256) {
        return invalid_argument("io threads must be in [0, 256]");
    }
    std::vector<double> schedule;
    if (config.shape.kind != LoadKind::ClosedLoop) {
        GS_ASSIGN_OR_RETURN(schedule, arrival_offsets_s(config.shape));
    }
    asio::io_context io;
    auto run = std::make_shared<LoadRun>(io, config, prompts, std::move(schedule));
    run->start();
    std::vector<std::thread> threads;
    for (int i = 0; i < config.n_extra_io_threads; ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    return run->take_result();
}

}  // namespace glmserve::bench
