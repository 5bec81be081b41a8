// StepGate: holds a thread at a point until the test opens the gate — for the scheduler's
// before_step seam ("the engine is busy/wedged right now") without sleeping to synchronise.
// Hooks should own the gate (capture a shared_ptr): the held thread may outlive the test body.
// Thread: pass() from the held thread; wait_held() and open() from the test.
#pragma once

#include <condition_variable>
#include <mutex>

namespace glmserve::testing {

class StepGate {
public:
    // Blocks the caller until open(); records that a thread is held.
    void pass() {
        std::unique_lock lock(mu_);
        ++n_held_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return open_; });
        --n_held_;
    }
    void wait_held() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return n_held_ > 0; });
    }
    void open() {
        std::lock_guard lock(mu_);
        open_ = true;
        cv_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    int n_held_ = 0;
    bool open_ = false;
};

}  // namespace glmserve::testing
