// Synchronous signal handling for the long-running commands (serve, gateway): the signals are
// blocked before any thread starts and taken with sigtimedwait, so no code runs in a handler.
// Thread: call from the thread that owns the signal loop.
#pragma once

#include <signal.h>

#include <chrono>
#include <initializer_list>

namespace glmserve {

// A set of the given signals (SIGTERM, SIGINT, ...).
sigset_t signal_set(std::initializer_list<int> signals);

// The next signal of `set` pending for this thread, or 0 when `wait` passed without one.
int wait_for_signal(const sigset_t& set, std::chrono::milliseconds wait);

}  // namespace glmserve
