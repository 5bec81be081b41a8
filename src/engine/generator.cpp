#include "engine/generator.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/system_info.h"

namespace glmserve::engine {

using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<Generator>> Generator::create(std::shared_ptr<const model::Model> model,
                                                     const kernels::KernelTable& table,
                                                     kernels::ThreadPool& pool,
                                                     const GeneratorConfig& config) {
    const model::HParams& hp = model->hparams();
    const int64_t n_ctx = config.n_ctx > 0 ? config.n_ctx : hp.n_ctx_train;
    if (config.max_batch_tokens <= 0) return invalid_argument("max_batch_tokens must be > 0");
    // One sequence: the pool holds exactly its context, rounded up to whole blocks.
    const int64_t n_blocks = (n_ctx + config.kv_block_size - 1) / config.kv_block_size;
    const int64_t pool_bytes = n_blocks * config.kv_block_size * model::kv_bytes_per_token(hp);
    // Refuse what cannot fit instead of letting the allocation (or the OOM killer) decide.
    const uint64_t available = available_memory_bytes();
    if (available != 0 && static_cast<uint64_t>(pool_bytes) > available) {
        return resource_exhausted(fmt::format(
            "a KV cache for {} positions needs {} bytes but only {} are available; use a "
            "smaller context",
            n_ctx, pool_bytes, available));
    }
    GS_ASSIGN_OR_RETURN(auto kv, model::KvPool::create_for(hp, pool_bytes, config.kv_block_size));
    return std::unique_ptr<Generator>(
        new Generator(std::move(model), table, pool, config, std::move(kv), n_ctx));
}

Generator::Generator(std::shared_ptr<const model::Model> model, const kernels::KernelTable& table,
                     kernels::ThreadPool& pool, const GeneratorConfig& config,
                     std::unique_ptr<model::KvPool> kv, int64_t n_ctx)
    : model_(model),
      decoder_(std::move(model), table, pool,
               model::DecoderConfig{.max_batch_tokens = config.max_batch_tokens}),
      kv_(std::move(kv)),
      n_ctx_(n_ctx) {}

Status Generator::check_fits(int64_t n_positions) const {
    if (n_positions > n_ctx_) {
        return invalid_argument(
            fmt::format("{} tokens exceed the context of {} tokens", n_positions, n_ctx_));
    }
    return ok_status();
}

Status Generator::run(std::span<const int32_t> tokens, int64_t pos0, model::LogitsMode mode,
                      std::vector<float>& last, const LogitsSink& sink) {
    const int64_t n_vocab = model_->hparams().n_vocab;
    const int64_t chunk = decoder_.max_batch_tokens();
    for (size_t start = 0; start < tokens.size(); start += static_cast<size_t>(chunk)) {
        const size_t n = std::min(tokens.size() - start, static_cast<size_t>(chunk));
        const int64_t pos = pos0 + static_cast<int64_t>(start);
        GS_RETURN_IF_ERROR(model::reserve_positions(*kv_, blocks_, pos + static_cast<int64_t>(n)));
        const bool last_chunk = start + n == tokens.size();
        model::LogitsMode chunk_mode = model::LogitsMode::None;
        if (mode == model::LogitsMode::All || last_chunk) chunk_mode = mode;
        const model::SequenceChunk c{.tokens = tokens.subspan(start, n),
                                     .pos0 = pos,
                                     .blocks = &blocks_,
                                     .logits = chunk_mode};
        GS_RETURN_IF_ERROR(decoder_.forward(std::span(&c, 1), *kv_, step_logits_));
        if (mode == model::LogitsMode::All) {
            GS_RETURN_IF_ERROR(sink(step_logits_));
        } else if (last_chunk) {
            last.assign(step_logits_.end() - n_vocab, step_logits_.end());
        }
    }
    return ok_status();
}

Status Generator::stream_prompt_logits(std::span<const int32_t> tokens, const LogitsSink& sink) {
    if (tokens.empty()) return invalid_argument("no tokens given");
    GS_RETURN_IF_ERROR(check_fits(static_cast<int64_t>(tokens.size())));
    model::release_all(*kv_, blocks_);
    std::vector<float> unused;
    return run(tokens, 0, model::LogitsMode::All, unused, sink);
}

Result<std::vector<float>> Generator::prompt_logits(std::span<const int32_t> tokens) {
    std::vector<float> logits;
    GS_RETURN_IF_ERROR(stream_prompt_logits(tokens, [&](std::span<const float> rows) {
        logits.insert(logits.end(), rows.begin(), rows.end());
        return ok_status();
    }));
    return logits;
}

Result<GenerateResult> Generator::generate(std::span<const int32_t> prompt,
                                           const GenerateOptions& options,
                                           const std::function<bool(int32_t)>& on_token) {
    if (prompt.empty()) return invalid_argument("the prompt has no tokens");
    if (options.max_tokens < 0) return invalid_argument("max_tokens must be >= 0");
    GS_RETURN_IF_ERROR(validate(options.sampling));
    const auto n_prompt = static_cast<int64_t>(prompt.size());
    GS_RETURN_IF_ERROR(check_fits(n_prompt + options.max_tokens));
    model::release_all(*kv_, blocks_);

    GenerateResult result;
    std::vector<int32_t> history(prompt.begin(), prompt.end());
    std::vector<float> logits;
    Sampler sampler(options.sampling);
    const auto t0 = Clock::now();
    GS_RETURN_IF_ERROR(run(prompt, 0, model::LogitsMode::Last, logits));
    const auto t1 = Clock::now();
    result.prefill_time = t1 - t0;

    for (int32_t i = 0; i < options.max_tokens; ++i) {
        const int32_t token = sampler.sample(logits, history);
        history.push_back(token);
        result.tokens.push_back(token);
        if (on_token && !on_token(token)) {
            result.finish = FinishReason::Cancelled;
            break;
        }
        const auto& stops = options.stop_token_ids;
        if (std::find(stops.begin(), stops.end(), token) != stops.end()) {
            result.finish = FinishReason::Stop;
            break;
        }
        if (i + 1 == options.max_tokens) break;
        const int64_t pos = static_cast<int64_t>(history.size()) - 1;
        GS_RETURN_IF_ERROR(run(std::span(&token, 1), pos, model::LogitsMode::Last, logits));
    }
    result.decode_time = Clock::now() - t1;
    return result;
}

}  // namespace glmserve::engine
