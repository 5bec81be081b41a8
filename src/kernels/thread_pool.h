// ThreadPool: fork-join parallelism for kernels (STYLE.md §5.3).
//
// run(fn) calls fn(ith, nth) on nth = size() threads (the caller is thread 0) and returns when
// all are done. Work is split by the callee from (ith, nth), so a result never depends on the
// thread count as long as each output element is computed by one thread in a fixed order.
// Thread: run() is called from one owner thread at a time (the engine's compute thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glmserve::kernels {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);  // n_threads >= 1
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // fn is borrowed for the duration of the call.
    void run(const std::function<void(int ith, int nth)>& fn);

    // Splits [0, n) into nth near-equal contiguous ranges; returns thread ith's [begin, end).
    static std::pair<int64_t, int64_t> split(int64_t n, int ith, int nth);

private:
    void worker_loop(int ith);

    int n_threads_;
    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
    const std::function<void(int, int)>* job_ = nullptr;  // guarded by mu_
    uint64_t generation_ = 0;                             // guarded by mu_
    int pending_ = 0;                                     // guarded by mu_
    bool stopping_ = false;                               // guarded by mu_
};

}  // namespace glmserve::kernels
