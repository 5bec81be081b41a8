// Cross-runtime check: every model and case of ../shared/golden/cases against our engine.
//
// What the reference is (measured, issue #2): llama.cpp with flash attention on, as its default
// "auto" picks on CPU. The llama.cpp that node-llama-cpp 3.22.1 bundles, built for the host (an
// AVX-512 Zen 5) and run with 2 threads, reproduces every case here bit for bit
// (scripts/golden-vs-llama-cpp prints it). Its CPU flash attention has two numerics, chosen by
// batch size:
// - batches of 64 or more rows (the `ids-64`/`ids-300` prompts) take a tiled path in f32, the
//   same math as ours: there our float logits agree to <= 0.0084;
// - smaller batches (the `text-*` prompts, and every decode step) round queries to f16 and
//   accumulate V in f16, which moves logits by up to 0.075 from exact math
//   (float64_oracle_test.cpp: ours stay within 0.005 of it). A deterministic engine, whose result
//   for a token may not depend on the batch it came in, cannot follow both; we keep f32 everywhere.
// The same source built for AVX2 only (GGML_NATIVE=OFF, GGML_AVX2=ON) misses the README's 0.01 on
// glm4-mqa-tied-f32 text-mixed (0.0245), and with flash attention off it is 0.075 away there.
// Quantized files: each engine quantizes activations to Q8_0/Q8_K, and a last-bit difference in
// float summation order flips one rounding now and then; from there on that row (and, through the
// KV cache, later rows) moves by 0.1-0.45. The AVX2 build, whose quantized kernels
// mostly give the AVX-512 build's bits, flips rarely and stays within 0.21; the same llama.cpp
// with flash attention off is 0.27-0.44 from the reference, with top-1 agreement down to 12/16.
// So the bounds below are the README's where the reference computed what we compute, and measured
// ones elsewhere:
//   float models, ids-*:  max |Δlogit| <= 0.01  (the README's; worst seen 0.0084)
//   float models, text-*: max |Δlogit| <= 0.08  (worst seen 0.075, on logits of magnitude ~135)
//   quantized models:     max |Δlogit| <= 0.5   (worst seen 0.43; the README's 0.25)
// Top-1 tokens and greedy continuations are held to the README's own tolerances (0.01 float,
// 0.25 quantized): the top-1 token must agree wherever the reference's top-1/top-2 margin
// exceeds 2 × that tolerance, and greedy continuations must agree up to the first step whose
// margin is below it. (Counting every row, quantized top-1 agreement is 96.8-98.1% per model for
// us and 96.1-98.7% for llama.cpp with flash attention off, against the README's 98%; the rows
// that differ are ones where the reference's margin is under 0.5.)
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/generator.h"
#include "engine/sampler.h"
#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"
#include "model/model.h"
#include "support/all_close.h"
#include "support/golden.h"

namespace glmserve {
namespace {

struct GoldenCase {
    std::string model;
    std::string name;
};

void PrintTo(const GoldenCase& c, std::ostream* os) {
    *os << c.model << "/" << c.name;
}

std::vector<GoldenCase> all_cases() {
    std::vector<GoldenCase> cases;
    for (const char* m : {"glm4-f32", "glm4-f16", "glm4-mqa-tied-f32", "chatglm-f16", "llama-f16",
                          "glm4-q8_0", "glm4-q6_k", "glm4-q4_k_m", "glm4-q4_0"}) {
        for (const char* c : {"ids-1", "ids-64", "ids-300", "text-short", "text-mixed"}) {
            cases.push_back({m, c});
        }
    }
    return cases;
}

bool is_quantized(const std::string& model) {
    return model.find("-q") != std::string::npos;
}

// Top-1 logit minus top-2 logit of one row.
double top_margin(std::span<const float> row) {
    float first = -INFINITY, second = -INFINITY;
    for (float v : row) {
        if (v > first) {
            second = first;
            first = v;
        } else if (v > second) {
            second = v;
        }
    }
    return static_cast<double>(first) - second;
}

// The bound on max |Δlogit| (see the top of the file).
double tolerance_of(const GoldenCase& c) {
    if (is_quantized(c.model)) return 0.5;
    return c.name.starts_with("ids-") ? 0.01 : 0.08;
}

// The golden README's logit tolerance, which decides where a top-1 token is clear enough that
// any correct engine must pick it.
double readme_tolerance_of(const GoldenCase& c) {
    return is_quantized(c.model) ? 0.25 : 0.01;
}

class GoldenModelTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenModelTest, LogitsAndGreedyMatchReference) {
    GS_REQUIRE_GOLDEN(golden);
    const GoldenCase& gc = GetParam();
    const auto files = testing::read_golden_case(golden, gc.model, gc.name);
    ASSERT_TRUE(files) << "missing case file";
    // Plain references, not a structured binding: lambdas below capture them.
    const std::vector<int32_t>& prompt = files->prompt;
    const std::vector<int32_t>& greedy = files->greedy;
    const std::vector<double>& margins = files->greedy_margin;
    const int64_t n_vocab = files->n_vocab;
    const int64_t first_pos = files->logits_first_pos;
    const std::vector<float>& expected = files->logits;

    const auto& table = kernels::active_kernels();
    auto model = model::Model::load(golden / "models" / (gc.model + ".gguf"), table);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    ASSERT_EQ((*model)->hparams().n_vocab, n_vocab);
    kernels::ThreadPool pool(2);
    auto gen = engine::Generator::create(*model, table, pool, {.n_ctx = 512});
    ASSERT_TRUE(gen.ok()) << gen.status().to_string();

    auto logits = (*gen)->prompt_logits(prompt);
    ASSERT_TRUE(logits.ok()) << logits.status().to_string();
    const std::span<const float> actual =
        std::span<const float>(*logits).subspan(static_cast<size_t>(first_pos * n_vocab));
    ASSERT_EQ(actual.size(), expected.size());

    const double tol = tolerance_of(gc);
    const auto report = testing::compare_all_close(actual, expected, tol, 0.0);
    EXPECT_EQ(report.n_bad, 0u) << "max |Δlogit| " << report.max_abs_diff << " at row "
                                << report.worst_index / n_vocab << ", token "
                                << report.worst_index % n_vocab;
    RecordProperty("max_abs_diff", std::to_string(report.max_abs_diff));

    const size_t rows = expected.size() / static_cast<size_t>(n_vocab);
    size_t agree = 0;
    for (size_t r = 0; r < rows; ++r) {
        const auto row = [&](std::span<const float> all) {
            return all.subspan(r * static_cast<size_t>(n_vocab), static_cast<size_t>(n_vocab));
        };
        const int32_t ours = engine::argmax(row(actual));
        const int32_t theirs = engine::argmax(row(expected));
        agree += ours == theirs;
        if (top_margin(row(expected)) > 2 * readme_tolerance_of(gc)) {
            EXPECT_EQ(ours, theirs) << "top token differs at row " << r;
        }
    }
    RecordProperty("top1_agreement", std::to_string(agree) + "/" + std::to_string(rows));

    engine::GenerateOptions options{.max_tokens = static_cast<int32_t>(greedy.size()),
                                    .sampling = {.temperature = 0.0f}};
    auto out = (*gen)->generate(prompt, options, nullptr);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    for (size_t i = 0; i < greedy.size() && i < out->tokens.size(); ++i) {
        // From here on the reference itself is a coin toss.
        if (margins[i] < 2 * readme_tolerance_of(gc)) break;
        ASSERT_EQ(out->tokens[i], greedy[i]) << "greedy step " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(AllCases, GoldenModelTest, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& param_info) {
                             return testing::gtest_safe_name(param_info.param.model + "_" +
                                                             param_info.param.name);
                         });

}  // namespace
}  // namespace glmserve
