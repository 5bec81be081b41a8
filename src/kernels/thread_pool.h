// ThreadPool: fork-join parallelism for kernels (STYLE.md §5.3).
//
// run(fn) calls fn(ith, nth) on nth = size() threads (the caller is thread 0) and returns when
// all are done. Work is split by the callee from (ith, nth), so a result never depends on the
// thread count as long as each output element is computed by one thread in a fixed order.
// fn is borrowed, not copied: run() takes any callable by reference and never allocates (a
// std::function built from a lambda with several captures would).
// Between jobs, workers spin on an atomic generation counter for a bounded time (tens of
// microseconds) and then sleep on a condition variable; the caller likewise spins briefly on
// the completion count before sleeping. So back-to-back ops (a layer's matmuls) start without
// a kernel wake-up, and an idle server does not burn CPU.
// Thread: run() is called from one owner thread at a time (the engine's compute thread) and is
// not reentrant; the destructor must not race with run().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace glmserve::kernels {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);  // n_threads >= 1
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // fn(int ith, int nth) is borrowed for the duration of the call. If thread 0's share throws,
    // run() still waits for the workers before the exception leaves (they borrow fn); a worker's
    // share must not throw (kernels don't).
    template <typename Fn>
    void run(Fn&& fn) {
        using Callable = std::remove_reference_t<Fn>;
        run_job(Job{
            .fn = const_cast<void*>(static_cast<const void*>(std::addressof(fn))),
            .call = [](void* f, int ith, int nth) { (*static_cast<Callable*>(f))(ith, nth); },
        });
    }

    // Splits [0, n) into nth near-equal contiguous ranges; returns thread ith's [begin, end).
    static std::pair<int64_t, int64_t> split(int64_t n, int ith, int nth);

private:
    // A type-erased borrowed callable: two pointers, no allocation.
    struct Job {
        void* fn = nullptr;
        void (*call)(void* fn, int ith, int nth) = nullptr;
    };

    void run_job(Job job);
    void wait_for_workers();
    uint64_t wait_for_generation(uint64_t seen);
    void worker_loop(int ith);

    const int n_threads_;
    std::vector<std::thread> workers_;

    // Written by the owner before it bumps generation_, read by workers after they observe the
    // new generation (the release/acquire pair on generation_ orders them).
    Job job_;
    bool running_ = false;   // owner thread only: catches a nested run()
    bool stopping_ = false;  // written before the destructor's last generation bump, like job_

    // Own cache lines: workers poll generation_ while the owner polls pending_.
    alignas(64) std::atomic<uint64_t> generation_{0};
    alignas(64) std::atomic<int> pending_{0};  // workers still running the current job
    std::atomic<int> n_sleeping_workers_{0};
    std::atomic<bool> owner_sleeping_{false};

    // Only for sleeping: the spin phases never take it.
    std::mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
};

}  // namespace glmserve::kernels
