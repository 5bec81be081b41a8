// Generator: runs one sequence through the decoder — prompt prefill in chunks, then token by
// token decode — with its own KV pool and block table.
//
// This is the single-sequence path of the command line (`generate`, `logits`). The serving
// scheduler (issue #4) runs many sequences over the same Decoder and KvPool instead.
// Thread: one caller at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/request.h"
#include "engine/sampler.h"
#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"
#include "model/decoder.h"
#include "model/model.h"
#include "model/paged_kv.h"

namespace glmserve::engine {

struct GeneratorConfig {
    int64_t n_ctx = 0;               // max positions per sequence; 0: the model's training context
    int64_t max_batch_tokens = 256;  // prefill chunk size
    int32_t kv_block_size = 16;
};

struct GenerateOptions {
    int32_t max_tokens = 16;
    SamplingParams sampling;
    std::vector<int32_t> stop_token_ids;  // generation ends after emitting one of these
};

struct GenerateResult {
    std::vector<int32_t> tokens;  // generated tokens (a stop token included)
    FinishReason finish = FinishReason::Length;
    std::chrono::duration<double> prefill_time{0};
    std::chrono::duration<double> decode_time{0};
};

class Generator {
public:
    static Result<std::unique_ptr<Generator>> create(std::shared_ptr<const model::Model> model,
                                                     const kernels::KernelTable& table,
                                                     kernels::ThreadPool& pool,
                                                     const GeneratorConfig& config);

    int64_t n_ctx() const { return n_ctx_; }
    const model::KvPool& kv_pool() const { return *kv_; }

    // Logits at every position of `tokens` (a fresh sequence): [n_tokens, n_vocab].
    Result<std::vector<float>> prompt_logits(std::span<const int32_t> tokens);

    // The same rows handed to `sink` one prefill chunk at a time ([rows, n_vocab] each), so
    // memory stays bounded by the chunk size whatever the prompt length. A sink error stops
    // the run and is returned.
    using LogitsSink = std::function<Status(std::span<const float> rows)>;
    Status stream_prompt_logits(std::span<const int32_t> tokens, const LogitsSink& sink);

    // Generates after `prompt` (a fresh sequence). on_token is called with each new token;
    // returning false stops generation (FinishReason::Cancelled).
    Result<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                                    const std::function<bool(int32_t)>& on_token);

private:
    Generator(std::shared_ptr<const model::Model> model, const kernels::KernelTable& table,
              kernels::ThreadPool& pool, const GeneratorConfig& config,
              std::unique_ptr<model::KvPool> kv, int64_t n_ctx);
    Status check_fits(int64_t n_positions) const;
    // Runs tokens at positions pos0.. through the decoder in chunks. With LogitsMode::All each
    // chunk's rows go to `sink`; with Last, `last` receives the final position's logits.
    Status run(std::span<const int32_t> tokens, int64_t pos0, model::LogitsMode mode,
               std::vector<float>& last, const LogitsSink& sink = nullptr);

    std::shared_ptr<const model::Model> model_;
    model::Decoder decoder_;
    std::unique_ptr<model::KvPool> kv_;
    model::BlockTable blocks_;
    int64_t n_ctx_;
    std::vector<float> step_logits_;
};

}  // namespace glmserve::engine
