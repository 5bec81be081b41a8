#include "engine/generator.h"

#include <gtest/gtest.h>

#include "kernels/kernel_table.h"
#include "support/tiny_model.h"

namespace glmserve::engine {
namespace {

class GeneratorTest : public ::testing::Test {
protected:
    GeneratorTest()
        : model_(testing::make_tiny_model(testing::tiny_spec())),
          pool_(2),
          gen_(Generator::create(model_, kernels::ref_kernels(), pool_,
                                 {.n_ctx = 64, .max_batch_tokens = 8})
                   .value()) {}

    std::shared_ptr<const model::Model> model_;
    kernels::ThreadPool pool_;
    std::unique_ptr<Generator> gen_;
    const std::vector<int32_t> prompt_ = {5, 9, 200, 31, 7, 150, 2, 99, 10, 11, 12};
};

TEST_F(GeneratorTest, GeneratesMaxTokensAndReportsLength) {
    auto r =
        gen_->generate(prompt_, {.max_tokens = 10, .sampling = {.temperature = 0.0f}}, nullptr);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->tokens.size(), 10u);
    EXPECT_EQ(r->finish, FinishReason::Length);
}

TEST_F(GeneratorTest, GreedyDecodeMatchesArgmaxOfFullPromptLogits) {
    auto r = gen_->generate(prompt_, {.max_tokens = 6, .sampling = {.temperature = 0.0f}}, nullptr);
    ASSERT_TRUE(r.ok());
    // Re-run prompt + generated tokens in one pass: each generated token must be the argmax at
    // the position before it (decode with the KV cache == recompute from scratch).
    std::vector<int32_t> all = prompt_;
    all.insert(all.end(), r->tokens.begin(), r->tokens.end() - 1);
    auto logits = gen_->prompt_logits(all);
    ASSERT_TRUE(logits.ok());
    const auto n_vocab = static_cast<size_t>(model_->hparams().n_vocab);
    for (size_t i = 0; i < r->tokens.size(); ++i) {
        const size_t row = prompt_.size() - 1 + i;
        EXPECT_EQ(argmax(std::span<const float>(*logits).subspan(row * n_vocab, n_vocab)),
                  r->tokens[i])
            << "step " << i;
    }
}

TEST_F(GeneratorTest, StreamedLogitsArriveInChunksAndSinkErrorsStopTheRun) {
    const auto whole = gen_->prompt_logits(prompt_);
    ASSERT_TRUE(whole.ok());
    std::vector<size_t> chunk_rows;
    std::vector<float> joined;
    const auto n_vocab = static_cast<size_t>(model_->hparams().n_vocab);
    ASSERT_TRUE(gen_->stream_prompt_logits(prompt_,
                                           [&](std::span<const float> rows) {
                                               chunk_rows.push_back(rows.size() / n_vocab);
                                               joined.insert(joined.end(), rows.begin(),
                                                             rows.end());
                                               return ok_status();
                                           })
                    .ok());
    EXPECT_EQ(chunk_rows, (std::vector<size_t>{8, 3}));  // max_batch_tokens 8, 11 tokens
    EXPECT_EQ(joined, *whole);

    int calls = 0;
    const Status s = gen_->stream_prompt_logits(prompt_, [&](std::span<const float>) {
        ++calls;
        return unavailable("disk full");
    });
    EXPECT_EQ(s.code(), StatusCode::Unavailable);
    EXPECT_EQ(calls, 1);
}

TEST_F(GeneratorTest, StopsAtAStopToken) {
    auto free_run =
        gen_->generate(prompt_, {.max_tokens = 8, .sampling = {.temperature = 0.0f}}, nullptr);
    ASSERT_TRUE(free_run.ok());
    const int32_t stop = free_run->tokens[3];
    auto r = gen_->generate(
        prompt_, {.max_tokens = 8, .sampling = {.temperature = 0.0f}, .stop_token_ids = {stop}},
        nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->finish, FinishReason::Stop);
    EXPECT_EQ(r->tokens.back(), stop);
    EXPECT_LE(r->tokens.size(), 4u);
}

TEST_F(GeneratorTest, CallbackCanCancel) {
    int calls = 0;
    auto r = gen_->generate(prompt_, {.max_tokens = 8}, [&](int32_t) { return ++calls < 3; });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->finish, FinishReason::Cancelled);
    EXPECT_EQ(r->tokens.size(), 3u);
}

TEST_F(GeneratorTest, SameSeedSameTokens) {
    const GenerateOptions o{.max_tokens = 12, .sampling = {.temperature = 1.0f, .seed = 77}};
    auto a = gen_->generate(prompt_, o, nullptr);
    auto b = gen_->generate(prompt_, o, nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->tokens, b->tokens);
}

TEST_F(GeneratorTest, PromptPlusMaxTokensOverContextIsRefused) {
    auto r = gen_->generate(prompt_, {.max_tokens = 60}, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(r.status().message().find("context"), std::string::npos);
}

TEST(GeneratorCreate, ContextThatCannotFitInMemoryIsRefused) {
    auto model = testing::make_tiny_model(testing::tiny_spec());
    kernels::ThreadPool pool(1);
    // 2^40 positions of this model's KV would need 2^40 × 512 bytes.
    auto gen = Generator::create(model, kernels::ref_kernels(), pool, {.n_ctx = int64_t{1} << 40});
    ASSERT_FALSE(gen.ok());
    EXPECT_EQ(gen.status().code(), StatusCode::ResourceExhausted);
    EXPECT_NE(gen.status().message().find("smaller context"), std::string::npos);
}

TEST_F(GeneratorTest, BadInputsAreErrors) {
    EXPECT_FALSE(gen_->generate({}, {.max_tokens = 2}, nullptr).ok());
    EXPECT_FALSE(gen_->generate(prompt_, {.max_tokens = -1}, nullptr).ok());
    const std::vector<int32_t> bad = {1, 5000};
    EXPECT_EQ(gen_->generate(bad, {.max_tokens = 2}, nullptr).status().code(),
              StatusCode::InvalidArgument);
    EXPECT_EQ(gen_->generate(prompt_, {.max_tokens = 2, .sampling = {.top_p = 7.0f}}, nullptr)
                  .status()
                  .code(),
              StatusCode::InvalidArgument);
}

}  // namespace
}  // namespace glmserve::engine
