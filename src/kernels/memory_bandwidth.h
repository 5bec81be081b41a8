// A measurement of this machine's memory read bandwidth, the roofline for decode speed:
// generating one token reads every weight once, so tokens/s can be at most
// bandwidth / bytes of weights per token.
//
// Streams a buffer much larger than the caches, split across the pool's threads, a few times,
// and reports the best pass (the least disturbed by other load on a shared machine). On a
// shared host the rate itself drifts by a fifth within a minute, so a benchmark that divides by
// it probes right next to each of its own runs (ReadBandwidthProbe keeps the buffer for that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/thread_pool.h"

namespace glmserve::kernels {

struct BandwidthOptions {
    uint64_t buffer_bytes = uint64_t{1} << 30;  // 1 GiB: far past any last-level cache
    int passes = 5;
};

// The buffer, allocated and touched once (by the threads that read it), to measure as often as
// asked. Holds buffer_bytes of memory while it lives. Thread: one caller at a time.
class ReadBandwidthProbe {
public:
    explicit ReadBandwidthProbe(ThreadPool& pool, const BandwidthOptions& options = {});

    // Bytes per second read: the best of options.passes passes over the buffer.
    double measure();

private:
    ThreadPool& pool_;
    BandwidthOptions options_;
    size_t n_words_;
    std::unique_ptr<uint64_t[]> buffer_;
};

// One probe, measured once: bytes per second read.
double measure_read_bandwidth(ThreadPool& pool, const BandwidthOptions& options = {});

}  // namespace glmserve::kernels
