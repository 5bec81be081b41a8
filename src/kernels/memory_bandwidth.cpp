#include "kernels/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

namespace glmserve::kernels {
namespace {

// Sums 64-bit words with four independent accumulators, so the loop is bound by loads rather
// than by the add latency chain.
uint64_t sum_words(const uint64_t* p, size_t n) {
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a += p[i];
        b += p[i + 1];
        c += p[i + 2];
        d += p[i + 3];
    }
    for (; i < n; ++i) a += p[i];
    return a + b + c + d;
}

}  // namespace

double measure_read_bandwidth(ThreadPool& pool, const BandwidthOptions& options) {
    const size_t n_words = options.buffer_bytes / sizeof(uint64_t);
    auto buffer = std::make_unique_for_overwrite<uint64_t[]>(n_words);
    // Touch every page from the thread that will read it (first-touch NUMA placement).
    pool.run([&](int ith, int nth) {
        const auto [begin, end] = ThreadPool::split(static_cast<int64_t>(n_words), ith, nth);
        for (int64_t i = begin; i < end; ++i)
            buffer[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
    });
    std::atomic<uint64_t> sink{0};  // keeps the sums alive so the reads are not optimised away
    double best_seconds = 1e30;
    for (int pass = 0; pass < std::max(1, options.passes); ++pass) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run([&](int ith, int nth) {
            const auto [begin, end] = ThreadPool::split(static_cast<int64_t>(n_words), ith, nth);
            const uint64_t s = sum_words(buffer.get() + begin, static_cast<size_t>(end - begin));
            sink.fetch_add(s, std::memory_order_relaxed);
        });
        const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
        best_seconds = std::min(best_seconds, dt.count());
    }
    return static_cast<double>(n_words * sizeof(uint64_t)) / best_seconds;
}

}  // namespace glmserve::kernels
