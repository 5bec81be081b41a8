#include "supervisor/process_test_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "common/check.h"
#include "http/client.h"

extern char** environ;

namespace glmserve::supervisor::testing {
namespace {

bool port_bindable(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path) {
    std::vector<std::string> args = argv;
    std::vector<char*> pointers;
    for (std::string& a : args) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, pointers[0], &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/glmserve-sup-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    GS_CHECK(::mkdtemp(buffer.data()) != nullptr);
    path_ = buffer.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

uint16_t find_free_ports(int count) {
    // Below Linux's default ephemeral range (32768-60999), from which the kernel hands out the
    // source ports of every connection and port-0 listener the other tests open in parallel:
    // one of those could take a port here between this check and a child's bind (the likely
    // cause of one crash-loop test failure under ctest -j2 that did not recur alone).
    constexpr int kFirst = 20000, kEnd = 32768;
    GS_CHECK(count >= 1 && count < kEnd - kFirst);
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> base_dist(kFirst, kEnd - count);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const int base = base_dist(rng);
        bool all = true;
        for (int i = 0; i < count && all; ++i) all = port_bindable(static_cast<uint16_t>(base + i));
        if (all) return static_cast<uint16_t>(base);
    }
    GS_CHECK(false && "no free port range");
    return 0;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool pid_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0) return errno != ESRCH;
    // A zombie still answers kill(pid, 0); its state letter in /proc tells.
    const std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    const size_t paren = stat.rfind(')');
    return paren == std::string::npos || stat.size() < paren + 3 || stat[paren + 2] != 'Z';
}

std::string read_text_file(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

HttpReply http_request(const std::string& method, uint16_t port, const std::string& path) {
    boost::asio::io_context io;
    const std::chrono::milliseconds limit(2000);
    auto connection = http::Connection::create(
        io, http::Url{.scheme = "http", .host = "127.0.0.1", .port = port},
        {.connect = limit, .first_byte = limit, .idle_between_chunks = limit, .total = limit});
    HttpReply reply;
    int status = 0;
    connection->async_request(
        {.method = method, .target = path},
        {.on_head = [&](const http::ResponseHead& head) { status = head.status; },
         .on_body = [&](std::string_view chunk) { reply.body.append(chunk); },
         .on_done = [&](const Status& s) { reply.status = s.ok() ? status : 0; }});
    io.run();
    return reply;
}

}  // namespace glmserve::supervisor::testing
