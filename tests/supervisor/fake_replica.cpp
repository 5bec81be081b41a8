// fake_replica: a stand-in for `glmserve serve` / `glmserve gateway` in the supervisor's
// process tests. It serves GET /health and /ready on loopback and misbehaves on request.
//
//   --host H --port P | --listen H:P   where to listen (other flags and words are ignored, so
//                                      the supervisor's argv can be passed as is)
//   --ready-after-ms N    /ready answers 503 for the first N ms
//   --exit-after-ms N     exits with --exit-code after N ms (0: before listening)
//   --exit-code C         default 3
//   --fail-while-exists F exits at once with --exit-code while file F exists (a broken
//                         deployment that an operator later fixes)
//   --hang-health-after-ms N   from N ms on, /health never answers
//   --drain-ms N          on SIGTERM: /ready turns 503, exit 0 after N ms (default 200)
//   --ignore-sigterm      SIGTERM does nothing (tests SIGKILL after drain_timeout)
// SIGHUP is logged and ignored (the supervisor sends it to the gateway on rolling restart).
// Every event is one line on stdout (the child's log file).
// Thread: main() waits for signals with sigtimedwait; the handler runs on the server's thread
// and reads atomics only.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Flags {
    std::string host = "127.0.0.1";
    int port = 0;
    long ready_after_ms = 0;
    long exit_after_ms = -1;
    int exit_code = 3;
    long hang_health_after_ms = -1;
    long drain_ms = 200;
    bool ignore_sigterm = false;
    std::string fail_while_exists;
};

long to_long(std::string_view text) {
    long value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

Flags parse_flags(int argc, char** argv) {
    Flags flags;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const std::string_view value = i + 1 < argc ? argv[i + 1] : "";
        if (arg == "--ignore-sigterm") {
            flags.ignore_sigterm = true;
            continue;
        }
        bool used = true;
        if (arg == "--host") {
            flags.host = value;
        } else if (arg == "--port") {
            flags.port = static_cast<int>(to_long(value));
        } else if (arg == "--listen") {
            const size_t colon = value.rfind(':');
            flags.host = value.substr(0, colon);
            flags.port = static_cast<int>(to_long(value.substr(colon + 1)));
        } else if (arg == "--ready-after-ms") {
            flags.ready_after_ms = to_long(value);
        } else if (arg == "--exit-after-ms") {
            flags.exit_after_ms = to_long(value);
        } else if (arg == "--exit-code") {
            flags.exit_code = static_cast<int>(to_long(value));
        } else if (arg == "--hang-health-after-ms") {
            flags.hang_health_after_ms = to_long(value);
        } else if (arg == "--fail-while-exists") {
            flags.fail_while_exists = value;
        } else if (arg == "--drain-ms") {
            flags.drain_ms = to_long(value);
        } else {
            used = false;
        }
        if (used) ++i;
    }
    return flags;
}

void say(const std::string& line) {
    std::printf("fake_replica %d: %s\n", static_cast<int>(::getpid()), line.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const Flags flags = parse_flags(argc, argv);
    const Clock::time_point started = Clock::now();
    // Before the listener exists, so a test that got an answer can always find this pid.
    say("starting");
    if (!flags.fail_while_exists.empty() && ::access(flags.fail_while_exists.c_str(), F_OK) == 0) {
        say("failing: " + flags.fail_while_exists + " exists");
        return flags.exit_code;
    }
    if (flags.exit_after_ms == 0) {
        say("exiting at once with code " + std::to_string(flags.exit_code));
        return flags.exit_code;
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's threads start

    std::atomic<bool> draining{false};
    // Writers of hung /health requests: kept unanswered until exit.
    std::mutex hung_mu;
    std::vector<std::shared_ptr<glmserve::http::ResponseWriter>> hung;

    glmserve::http::ServerConfig config;
    config.host = flags.host;
    config.port = static_cast<uint16_t>(flags.port);
    auto handler = [&](glmserve::http::Request request,
                       std::shared_ptr<glmserve::http::ResponseWriter> writer) {
        const auto age_ms =
            std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
        if (request.path() == "/health") {
            if (flags.hang_health_after_ms >= 0 && age_ms >= flags.hang_health_after_ms) {
                std::lock_guard lock(hung_mu);
                hung.push_back(std::move(writer));
                return;
            }
            writer->send({.status = 200, .body = R"({"status":"ok"})"});
        } else if (request.path() == "/ready") {
            const bool ready = !draining.load() && age_ms >= flags.ready_after_ms;
            writer->send({.status = ready ? 200 : 503,
                          .body = ready ? R"({"ready":true})" : R"({"ready":false})"});
        } else {
            writer->send({.status = 404, .body = R"({"error":"not found"})"});
        }
    };
    auto server = glmserve::http::Server::start(config, handler);
    if (!server.ok()) {
        say("cannot listen: " + server.status().to_string());
        return 2;
    }
    say("listening on " + flags.host + ":" + std::to_string((*server)->port()));

    std::optional<Clock::time_point> exit_at;
    if (flags.exit_after_ms > 0) exit_at = started + milliseconds(flags.exit_after_ms);
    int exit_code = flags.exit_code;
    const timespec poll{.tv_sec = 0, .tv_nsec = 10'000'000};
    while (!exit_at || Clock::now() < *exit_at) {
        const int sig = sigtimedwait(&signals, nullptr, &poll);
        if (sig == SIGHUP) {
            say("SIGHUP: reload (nothing to do)");
        } else if ((sig == SIGTERM || sig == SIGINT) && !flags.ignore_sigterm && !draining) {
            say("draining for " + std::to_string(flags.drain_ms) + " ms");
            draining = true;
            exit_at = Clock::now() + milliseconds(flags.drain_ms);
            exit_code = 0;
        } else if (sig == SIGTERM) {
            say("SIGTERM ignored");
        }
    }
    say("exiting with code " + std::to_string(exit_code));
    // Exit without unwinding: hung /health writers must not delay the exit.
    std::fflush(stdout);
    std::_Exit(exit_code);
}
