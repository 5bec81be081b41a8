// Offline engine speed, like llama-bench: prompt processing (a prompt of n_prompt tokens in
// one prefill) and text generation (n_gen tokens one at a time), each repeated and reported as
// mean ± standard deviation of tokens/s, after one uncounted warm-up of each (as llama-bench
// does: the first pass over a freshly mapped model pays its page faults and cold caches). Also the
// bytes of weights a generated token reads, for the memory-bandwidth roofline, and (when asked) the
// memory read bandwidth probed right after each repetition, so that each run is compared with the
// bandwidth of its own minute.
// Thread: one caller; kernels use the given pool.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "kernels/kernel_table.h"
#include "kernels/memory_bandwidth.h"
#include "kernels/thread_pool.h"
#include "model/model.h"

namespace glmserve::engine {

struct EngineBenchOptions {
    int32_t n_prompt = 128;  // 0: skip prompt processing
    int32_t n_gen = 64;      // 0: skip generation
    int32_t repetitions = 3;
    bool warmup = true;            // one uncounted prompt and one generated token first
    uint64_t seed = 1;             // prompt token ids
    bool probe_bandwidth = false;  // fills EngineBenchResult::read_bandwidth
    kernels::BandwidthOptions bandwidth;
};

struct Measurement {
    std::vector<double> tokens_per_second;  // one per repetition
    double mean = 0.0;
    double stddev = 0.0;  // sample standard deviation; 0 for one repetition
};

struct EngineBenchResult {
    Measurement prompt;      // pp<n_prompt>
    Measurement generation;  // tg<n_gen>
    uint64_t weight_bytes = 0;
    uint64_t bytes_per_token = 0;        // weights read per generated token
    std::vector<double> read_bandwidth;  // bytes/s, one probe after each repetition
};

// Median of `samples` (the mean of the middle two for an even count); 0 for none.
double median(std::vector<double> samples);

// The generation runs against the roofline, each with the bandwidth probed right after it:
// the median over repetitions of tokens/s ÷ (bandwidth / bytes_per_token). 0 without
// generation runs or probes.
double roofline_fraction(const EngineBenchResult& result);

// Mean and sample standard deviation of `samples`.
Measurement measure(std::vector<double> samples);

// Weights one decode step reads: every tensor except the embedding table, of which only one
// row is read (unless it is also the tied output matrix).
uint64_t weight_bytes_per_token(const model::Model& model);

Result<EngineBenchResult> run_engine_bench(std::shared_ptr<const model::Model> model,
                                           const kernels::KernelTable& table,
                                           kernels::ThreadPool& pool,
                                           const EngineBenchOptions& options);

}  // namespace glmserve::engine
