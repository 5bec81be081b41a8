// ThreadPool: split() covers a range exactly, run() gives every (ith, nth) exactly once with
// the caller as thread 0, results are visible after run() returns, and pools of any size
// start, run many jobs and shut down cleanly.
#include "kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace glmserve::kernels {
namespace {

TEST(ThreadPoolSplit, CoversRangeExactlyAndEvenly) {
    for (int64_t n = 0; n <= 100; ++n) {
        for (int nth = 1; nth <= 9; ++nth) {
            int64_t next = 0;
            for (int ith = 0; ith < nth; ++ith) {
                const auto [begin, end] = ThreadPool::split(n, ith, nth);
                ASSERT_EQ(begin, next) << n << " " << ith << "/" << nth;
                ASSERT_GE(end, begin);
                const int64_t size = end - begin;
                ASSERT_TRUE(size == n / nth || size == n / nth + 1);
                next = end;
            }
            ASSERT_EQ(next, n);
        }
    }
}

TEST(ThreadPool, SingleThreadRunsInlineOnCaller) {
    ThreadPool pool(1);
    EXPECT_EQ(pool.size(), 1);
    std::thread::id seen;
    int calls = 0;
    pool.run([&](int ith, int nth) {
        EXPECT_EQ(ith, 0);
        EXPECT_EQ(nth, 1);
        seen = std::this_thread::get_id();
        ++calls;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen, std::this_thread::get_id());
}

TEST(ThreadPool, EveryThreadRunsOncePerJob) {
    for (int n_threads = 1; n_threads <= 4; ++n_threads) {
        ThreadPool pool(n_threads);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n_threads));
        std::thread::id thread0;
        constexpr int kJobs = 500;
        for (int job = 0; job < kJobs; ++job) {
            pool.run([&](int ith, int nth) {
                ASSERT_EQ(nth, n_threads);
                hits[static_cast<size_t>(ith)].fetch_add(1, std::memory_order_relaxed);
                if (ith == 0) thread0 = std::this_thread::get_id();
            });
            ASSERT_EQ(thread0, std::this_thread::get_id());
        }
        for (const std::atomic<int>& h : hits) EXPECT_EQ(h.load(), kJobs);
    }
}

TEST(ThreadPool, WorkersWritesAreVisibleAfterRun) {
    ThreadPool pool(3);
    std::vector<int64_t> out(1001, -1);
    for (int round = 0; round < 50; ++round) {
        pool.run([&](int ith, int nth) {
            const auto [begin, end] = ThreadPool::split(static_cast<int64_t>(out.size()), ith, nth);
            for (int64_t i = begin; i < end; ++i) out[static_cast<size_t>(i)] = i * round;
        });
        for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<int64_t>(i) * round);
    }
}

TEST(ThreadPool, StartsAndStopsCleanly) {
    for (int i = 0; i < 20; ++i) {
        ThreadPool idle(4);  // never runs a job
        ThreadPool busy(3);
        std::atomic<int> sum{0};
        busy.run([&](int ith, int) { sum += ith; });
        EXPECT_EQ(sum.load(), 0 + 1 + 2);
    }
}

}  // namespace
}  // namespace glmserve::kernels
