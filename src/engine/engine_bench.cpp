#include "engine/engine_bench.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/generator.h"

namespace glmserve::engine {

Measurement measure(std::vector<double> samples) {
    Measurement m;
    m.tokens_per_second = std::move(samples);
    const auto n = static_cast<double>(m.tokens_per_second.size());
    if (n == 0) return m;
    m.mean = std::accumulate(m.tokens_per_second.begin(), m.tokens_per_second.end(), 0.0) / n;
    if (n > 1) {
        double ss = 0.0;
        for (double v : m.tokens_per_second) ss += (v - m.mean) * (v - m.mean);
        m.stddev = std::sqrt(ss / (n - 1));
    }
    return m;
}

double median(std::vector<double> samples) {
    if (samples.empty()) return 0.0;
    std::sort(samples.begin(), samples.end());
    const size_t mid = samples.size() / 2;
    if (samples.size() % 2 == 1) return samples[mid];
    return (samples[mid - 1] + samples[mid]) / 2.0;
}

double roofline_fraction(const EngineBenchResult& result) {
    const std::vector<double>& tg = result.generation.tokens_per_second;
    const size_t n = std::min(tg.size(), result.read_bandwidth.size());
    std::vector<double> fractions;
    for (size_t i = 0; i < n; ++i) {
        if (result.read_bandwidth[i] <= 0.0) continue;
        const double roofline =
            result.read_bandwidth[i] / static_cast<double>(result.bytes_per_token);
        fractions.push_back(tg[i] / roofline);
    }
    return median(std::move(fractions));
}

uint64_t weight_bytes_per_token(const model::Model& model) {
    const gguf::TensorInfo* embd = model.file().find_tensor("token_embd.weight");
    uint64_t bytes = model.weight_bytes();
    if (embd != nullptr && !model.weights().knobs.tied_output) {
        bytes -= embd->n_bytes;
        bytes += embd->row_bytes();
    }
    return bytes;
}

Result<EngineBenchResult> run_engine_bench(std::shared_ptr<const model::Model> model,
                                           const kernels::KernelTable& table,
                                           kernels::ThreadPool& pool,
                                           const EngineBenchOptions& options) {
    if (options.n_prompt < 0 || options.n_gen < 0 || options.repetitions < 1) {
        return invalid_argument("prompt and generation lengths must be >= 0, repetitions >= 1");
    }
    const int64_t n_vocab = model->hparams().n_vocab;
    EngineBenchResult result;
    result.weight_bytes = model->weight_bytes();
    result.bytes_per_token = weight_bytes_per_token(*model);
    GeneratorConfig config{.n_ctx = options.n_prompt + options.n_gen + 1,
                           .max_batch_tokens = std::max<int64_t>(options.n_prompt, 1)};
    GS_ASSIGN_OR_RETURN(auto gen, Generator::create(model, table, pool, config));

    // Prompt ids from the seed (splitmix64), so runs compare like for like.
    std::vector<int32_t> prompt(static_cast<size_t>(std::max(options.n_prompt, 1)));
    uint64_t state = options.seed;
    for (int32_t& id : prompt) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        id = static_cast<int32_t>((z ^ (z >> 27)) % static_cast<uint64_t>(n_vocab));
    }

    // Allocated (and its pages touched) once, before the first run, so that no run pays for it.
    std::unique_ptr<kernels::ReadBandwidthProbe> probe;
    if (options.probe_bandwidth) {
        probe = std::make_unique<kernels::ReadBandwidthProbe>(pool, options.bandwidth);
    }
    if (options.warmup) {
        const std::span<const int32_t> warmup_prompt =
            std::span(prompt).subspan(0, options.n_prompt > 0 ? prompt.size() : 1);
        const int32_t warmup_tokens = options.n_gen > 0 ? 1 : 0;
        GS_RETURN_IF_ERROR(
            gen->generate(warmup_prompt,
                          {.max_tokens = warmup_tokens, .sampling = {.temperature = 0.0f}}, nullptr)
                .status());
    }
    std::vector<double> pp, tg;
    for (int32_t rep = 0; rep < options.repetitions; ++rep) {
        if (options.n_prompt > 0) {
            GS_ASSIGN_OR_RETURN(GenerateResult r,
                                gen->generate(prompt, {.max_tokens = 0}, nullptr));
            pp.push_back(options.n_prompt / r.prefill_time.count());
        }
        if (options.n_gen > 0) {
            // One forward for the first token's prompt, then n_gen - 1 decode steps: n_gen
            // single-token forwards in all, as llama-bench's tg counts them.
            const GenerateOptions go{.max_tokens = options.n_gen,
                                     .sampling = {.temperature = 0.0f}};
            GS_ASSIGN_OR_RETURN(GenerateResult r,
                                gen->generate(std::span(prompt).subspan(0, 1), go, nullptr));
            tg.push_back(options.n_gen / (r.prefill_time + r.decode_time).count());
        }
        if (probe) result.read_bandwidth.push_back(probe->measure());
    }
    result.prompt = measure(std::move(pp));
    result.generation = measure(std::move(tg));
    return result;
}

}  // namespace glmserve::engine
