// A measurement of this machine's memory read bandwidth, the roofline for decode speed:
// generating one token reads every weight once, so tokens/s can be at most
// bandwidth / bytes of weights per token.
//
// Streams a buffer much larger than the caches, split across the pool's threads, a few times,
// and reports the best pass (the least disturbed by other load on a shared machine).
#pragma once

#include <cstdint>

#include "kernels/thread_pool.h"

namespace glmserve::kernels {

struct BandwidthOptions {
    uint64_t buffer_bytes = uint64_t{1} << 30;  // 1 GiB: far past any last-level cache
    int passes = 5;
};

// Bytes per second read.
double measure_read_bandwidth(ThreadPool& pool, const BandwidthOptions& options = {});

}  // namespace glmserve::kernels
