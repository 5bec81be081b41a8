// ThreadPool: fork-join over a fixed set of workers with a spin-then-sleep barrier (see
// thread_pool.h).
//
// Protocol for one run():
//   1. The owner stores job_, sets pending_ = nth - 1 and bumps generation_ (seq_cst, so also a
//      release that publishes job_). Thread 0's share then runs on the owner.
//   2. Each worker waits for a generation it has not run: it polls generation_ with a CPU pause
//      for up to kSpinTime, then sleeps on work_cv_. It reads job_ after its acquire load of the
//      new generation, runs its share and decrements pending_ (acq_rel).
//   3. The owner waits for pending_ == 0 the same way (spin, then done_cv_). Every decrement is
//      an RMW, so the owner's acquire load of 0 synchronises with every worker's release: their
//      writes happen before run() returns, and fn (borrowed) is no longer used after it.
// Sleeping without lost wake-ups (a Dekker pattern on seq_cst atomics): a worker going to sleep
// increments n_sleeping_workers_ and then re-reads generation_, both under mu_; the owner bumps
// generation_ and then reads n_sleeping_workers_. In the single total order of seq_cst
// operations one of them sees the other: either the worker sees the new generation and does not
// wait, or the owner sees a sleeper, takes mu_ (so that worker is inside wait()) and notifies.
// The owner's sleep on done_cv_ pairs owner_sleeping_ with pending_ the same way. A stale read
// only causes a spurious notify, which the wait predicates absorb.
// Nothing is allocated per run. With one thread, run() calls the job inline and no worker exists.
// Thread: run() from one owner thread at a time; the destructor must not race with run().
#include "kernels/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "common/check.h"

namespace glmserve::kernels {

namespace {

// How long a waiter polls before sleeping. Long enough to cover the gap between a layer's ops
// (norms, RoPE, attention bookkeeping on the caller), short enough that an idle server's
// workers are asleep within tens of microseconds.
constexpr std::chrono::microseconds kSpinTime{50};
// Polls between looks at the clock (and a yield, so oversubscribed threads get the core).
constexpr int kPollsPerClockCheck = 64;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();  // tells the core this is a spin loop (saves power, frees the sibling)
#else
    std::this_thread::yield();
#endif
}

// Polls done() until it returns true (-> true) or kSpinTime has passed (-> false).
template <typename Done>
bool spin_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (int polls = 1;; ++polls) {
        if (done()) return true;
        if (polls % kPollsPerClockCheck != 0) {
            cpu_relax();
            continue;
        }
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::yield();
    }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads) {
    GS_CHECK(n_threads >= 1);
    workers_.reserve(static_cast<size_t>(n_threads - 1));
    for (int ith = 1; ith < n_threads; ++ith) {
        workers_.emplace_back([this, ith] { worker_loop(ith); });
    }
}

ThreadPool::~ThreadPool() {
    if (workers_.empty()) return;
    stopping_ = true;
    generation_.fetch_add(1, std::memory_order_seq_cst);  // release: publishes stopping_
    { std::lock_guard<std::mutex> lock(mu_); }            // a worker past its check now waits
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_job(Job job) {
    if (n_threads_ == 1) {
        job.call(job.fn, 0, 1);
        return;
    }
    GS_CHECK(!running_);  // run() is not reentrant
    running_ = true;
    job_ = job;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);  // published by the bump below
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (n_sleeping_workers_.load(std::memory_order_seq_cst) > 0) {
        { std::lock_guard<std::mutex> lock(mu_); }  // each counted sleeper is now inside wait()
        work_cv_.notify_all();
    }

    // Wait for the workers even if thread 0's share throws, since they borrow the job.
    struct WaitGuard {
        ThreadPool* pool;
        ~WaitGuard() {
            pool->wait_for_workers();
            pool->running_ = false;
        }
    } wait_guard{this};
    job.call(job.fn, 0, n_threads_);
}

void ThreadPool::wait_for_workers() {
    const auto done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
    if (spin_until(done)) return;
    std::unique_lock<std::mutex> lock(mu_);
    owner_sleeping_.store(true, std::memory_order_seq_cst);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_seq_cst) == 0; });
    owner_sleeping_.store(false, std::memory_order_relaxed);
}

uint64_t ThreadPool::wait_for_generation(uint64_t seen) {
    const auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(changed)) {
        std::unique_lock<std::mutex> lock(mu_);
        n_sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
        work_cv_.wait(lock, [&] { return generation_.load(std::memory_order_seq_cst) != seen; });
        n_sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    }
    return generation_.load(std::memory_order_acquire);
}

void ThreadPool::worker_loop(int ith) {
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_generation(seen);
        if (stopping_) return;
        job_.call(job_.fn, ith, n_threads_);  // a throwing share terminates (kernels don't throw)
        if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
            owner_sleeping_.load(std::memory_order_seq_cst)) {
            { std::lock_guard<std::mutex> lock(mu_); }  // the owner is now inside wait()
            done_cv_.notify_one();
        }
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
