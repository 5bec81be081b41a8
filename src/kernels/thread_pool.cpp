// ThreadPool: fork-join over a fixed set of workers (see thread_pool.h).
//
// Protocol: run() publishes the job under mu_, bumps generation_ and sets pending_ to the
// number of workers; each worker wakes on work_cv_ when it sees a generation it has not run,
// calls the job outside the lock, then decrements pending_ under mu_ and signals done_cv_ when
// it reaches zero. Thread 0's share runs on the caller. run() returns only after pending_ is 0,
// so the borrowed std::function outlives every use (the mutex release/acquire on pending_ is the
// happens-before edge from each worker's writes to the caller's return). Nothing is allocated
// per run. With one thread, run() calls fn(0, 1) inline and no worker exists.
//
// Simplification: workers block on a condition variable between jobs (tens of microseconds to
// wake). A spin-then-block barrier can replace this when the SIMD kernels make it matter.
// Thread: run() from one owner thread at a time; the destructor must not race with run().
#include "kernels/thread_pool.h"

#include <algorithm>

#include "common/check.h"

namespace glmserve::kernels {

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads) {
    GS_CHECK(n_threads >= 1);
    workers_.reserve(static_cast<size_t>(n_threads - 1));
    for (int ith = 1; ith < n_threads; ++ith) {
        workers_.emplace_back([this, ith] { worker_loop(ith); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run(const std::function<void(int ith, int nth)>& fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        GS_CHECK(job_ == nullptr);  // run() is not reentrant
        job_ = &fn;
        pending_ = n_threads_ - 1;
        ++generation_;
    }
    work_cv_.notify_all();

    // Wait for the workers even if thread 0's share throws, since they borrow fn.
    struct WaitForWorkers {
        ThreadPool* pool;
        ~WaitForWorkers() {
            std::unique_lock<std::mutex> lock(pool->mu_);
            pool->done_cv_.wait(lock, [this] { return pool->pending_ == 0; });
            pool->job_ = nullptr;
        }
    } wait_for_workers{this};
    fn(0, n_threads_);
}

void ThreadPool::worker_loop(int ith) {
    uint64_t seen_generation = 0;
    for (;;) {
        const std::function<void(int, int)>* job = nullptr;
        {
            std::unique_lock<std::mutex> lock(mu_);
            work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
            if (stopping_) return;
            seen_generation = generation_;
            job = job_;
        }
        (*job)(ith, n_threads_);  // a throwing job terminates the process (kernels don't throw)
        bool last = false;
        {
            std::lock_guard<std::mutex> lock(mu_);
            last = --pending_ == 0;
        }
        if (last) done_cv_.notify_one();
    }
}

std::pair<int64_t, int64_t> ThreadPool::split(int64_t n, int ith, int nth) {
    // The first n % nth ranges get one extra element.
    const int64_t base = n / nth;
    const int64_t extra = n % nth;
    const int64_t begin = ith * base + std::min<int64_t>(ith, extra);
    const int64_t end = begin + base + (ith < extra ? 1 : 0);
    return {begin, end};
}

}  // namespace glmserve::kernels
