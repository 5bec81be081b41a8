#include "obs/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <latch>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace glmserve::obs {
namespace {

// The value of the unlabelled sample `name` in an exposition, if present.
std::optional<double> sample(const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
            line[name.size()] == ' ') {
            return std::stod(line.substr(name.size() + 1));
        }
    }
    return std::nullopt;
}

TEST(ProcessMetrics, AllSeriesArePresentAndPlausible) {
    Registry registry;
    register_process_metrics(registry);
    const std::string text = registry.render();

    const auto rss = sample(text, "glmserve_process_resident_memory_bytes");
    const auto peak = sample(text, "glmserve_process_peak_resident_memory_bytes");
    ASSERT_TRUE(rss && peak);
    EXPECT_GT(*rss, 1024.0 * 1024.0);  // a gtest binary is well over a MiB resident
    EXPECT_GE(*peak, *rss * 0.5);
    EXPECT_LT(*rss, 1024.0 * 1024.0 * 1024.0 * 1024.0);

    const auto fds = sample(text, "glmserve_process_open_fds");
    const auto max_fds = sample(text, "glmserve_process_max_fds");
    ASSERT_TRUE(fds && max_fds);
    EXPECT_GE(*fds, 1.0);
    EXPECT_GE(*max_fds, *fds);

    const auto threads = sample(text, "glmserve_process_threads");
    ASSERT_TRUE(threads);
    EXPECT_GE(*threads, 1.0);

    const auto start = sample(text, "glmserve_process_start_time_seconds");
    ASSERT_TRUE(start);
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LE(*start, now + 1.0);
    EXPECT_GT(*start, now - 24 * 3600.0);  // this test process started less than a day ago

    const auto cpu = sample(text, "glmserve_process_cpu_seconds_total");
    ASSERT_TRUE(cpu);
    EXPECT_GE(*cpu, 0.0);
    EXPECT_NE(text.find("# TYPE glmserve_process_cpu_seconds_total counter\n"), std::string::npos);
}

TEST(ProcessMetrics, OpenFdsAndThreadsFollowTheProcess) {
    Registry registry;
    register_process_metrics(registry);
    const double fds_before = *sample(registry.render(), "glmserve_process_open_fds");
    const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const double fds_during = *sample(registry.render(), "glmserve_process_open_fds");
    close(fd);
    EXPECT_EQ(fds_during, fds_before + 1);

    const double threads_before = *sample(registry.render(), "glmserve_process_threads");
    std::latch started(1);
    std::latch release(1);
    std::thread worker([&] {
        started.count_down();
        release.wait();
    });
    started.wait();
    const double threads_during = *sample(registry.render(), "glmserve_process_threads");
    release.count_down();
    worker.join();
    EXPECT_EQ(threads_during, threads_before + 1);
}

TEST(ProcessMetrics, StartTimeIsFixedWhileCpuTimeNeverDecreases) {
    Registry registry;
    register_process_metrics(registry);
    const std::string first = registry.render();
    volatile double sink = 0;
    for (int i = 0; i < 2000000; ++i) sink = sink + i * 0.5;
    const std::string second = registry.render();
    EXPECT_EQ(*sample(first, "glmserve_process_start_time_seconds"),
              *sample(second, "glmserve_process_start_time_seconds"));
    EXPECT_GE(*sample(second, "glmserve_process_cpu_seconds_total"),
              *sample(first, "glmserve_process_cpu_seconds_total"));
}

}  // namespace
}  // namespace glmserve::obs
