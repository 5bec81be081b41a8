#include "model/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "kernels/kernel_table.h"
#include "support/all_close.h"
#include "support/tiny_model.h"

namespace glmserve::model {
namespace {

std::vector<int32_t> prompt(size_t n, int32_t salt = 0) {
    std::vector<int32_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((i * 37 + 11 + salt) % 300);
    return ids;
}

struct Harness {
    std::shared_ptr<const Model> model;
    kernels::ThreadPool pool;
    Decoder decoder;
    std::unique_ptr<KvPool> kv;

    explicit Harness(const RandomModelSpec& spec, int threads = 2, int64_t max_batch = 64)
        : model(testing::make_tiny_model(spec)),
          pool(threads),
          decoder(model, kernels::ref_kernels(), pool, {.max_batch_tokens = max_batch}),
          kv(KvPool::create_for(model->hparams(), 64 * 16 * kv_bytes_per_token(model->hparams()),
                                16)
                 .value()) {}

    // Logits at every position of a fresh sequence, fed in chunks of `chunk` tokens.
    std::vector<float> run_all(std::span<const int32_t> ids, size_t chunk) {
        BlockTable table;
        EXPECT_TRUE(reserve_positions(*kv, table, static_cast<int64_t>(ids.size())).ok());
        std::vector<float> all, step;
        for (size_t s = 0; s < ids.size(); s += chunk) {
            const size_t n = std::min(chunk, ids.size() - s);
            const SequenceChunk c{.tokens = ids.subspan(s, n),
                                  .pos0 = static_cast<int64_t>(s),
                                  .blocks = &table,
                                  .logits = LogitsMode::All};
            EXPECT_TRUE(decoder.forward(std::span(&c, 1), *kv, step).ok());
            all.insert(all.end(), step.begin(), step.end());
        }
        release_all(*kv, table);
        return all;
    }
};

TEST(Decoder, ChunkedPrefillEqualsOnePass) {
    Harness h(testing::tiny_spec());
    const auto ids = prompt(40);
    const auto whole = h.run_all(ids, 64);
    const auto chunked = h.run_all(ids, 7);
    ASSERT_EQ(whole.size(), 40u * 300);
    EXPECT_ALL_CLOSE(chunked, whole, 0.0, 0.0);
}

TEST(Decoder, ResultDoesNotDependOnThreadCount) {
    Harness one(testing::tiny_spec(), 1);
    Harness three(testing::tiny_spec(), 3);
    const auto ids = prompt(20);
    EXPECT_ALL_CLOSE(three.run_all(ids, 64), one.run_all(ids, 64), 0.0, 0.0);
}

TEST(Decoder, BatchedSequencesMatchSeparateRuns) {
    for (Arch arch : {Arch::Glm4, Arch::ChatGlm, Arch::Llama}) {
        Harness h(testing::tiny_spec(arch));
        const auto a = prompt(13, 1), b = prompt(21, 2);
        const auto alone_a = h.run_all(a, 64), alone_b = h.run_all(b, 64);

        BlockTable ta, tb;
        ASSERT_TRUE(reserve_positions(*h.kv, ta, 13).ok());
        ASSERT_TRUE(reserve_positions(*h.kv, tb, 21).ok());
        const SequenceChunk chunks[] = {
            {.tokens = a, .pos0 = 0, .blocks = &ta, .logits = LogitsMode::All},
            {.tokens = b, .pos0 = 0, .blocks = &tb, .logits = LogitsMode::All}};
        std::vector<float> logits;
        ASSERT_TRUE(h.decoder.forward(chunks, *h.kv, logits).ok());
        const std::span<const float> all(logits);
        EXPECT_ALL_CLOSE(all.subspan(0, 13 * 300), alone_a, 0.0, 0.0);
        EXPECT_ALL_CLOSE(all.subspan(13 * 300), alone_b, 0.0, 0.0);
    }
}

// A GLM-4.1V-style file (rope.dimension_sections, q/k rows in the converter's half-split order)
// holds the same model as the plain glm4 file of the same seed, so text must give the same
// logits: the rotations are the same arithmetic, only the sum over each head's q·k runs in the
// permuted order. Rotating the permuted rows as interleaved pairs instead (ignoring the
// sections) moves logits by orders of magnitude more than this bound.
TEST(Decoder, MRopeModelComputesTextLikeThePlainModelOfTheSameWeights) {
    RandomModelSpec mrope_spec = testing::tiny_spec();
    mrope_spec.rope_sections = {1, 2, 1, 0};  // tiny: head dim 16, 8 rotary dims, 4 pairs
    Harness plain(testing::tiny_spec()), mrope(mrope_spec);
    ASSERT_TRUE(mrope.model->hparams().mrope());
    const auto ids = prompt(60);
    const auto expected = plain.run_all(ids, 64);
    EXPECT_ALL_CLOSE(mrope.run_all(ids, 64), expected, 1e-4, 0.0);
    EXPECT_ALL_CLOSE(mrope.run_all(ids, 9), expected, 1e-4, 0.0);
}

TEST(Decoder, ScatteredBlocksGiveTheSameResultAsContiguousOnes) {
    Harness h(testing::tiny_spec());
    const auto ids = prompt(50);
    const auto contiguous = h.run_all(ids, 64);
    // Take every block, then build a table from them in reverse order.
    BlockTable scattered;
    std::vector<int32_t> taken;
    while (auto b = h.kv->allocate()) taken.push_back(*b);
    scattered.blocks.assign(taken.rbegin(), taken.rbegin() + 4);
    const SequenceChunk c{
        .tokens = ids, .pos0 = 0, .blocks = &scattered, .logits = LogitsMode::All};
    std::vector<float> logits;
    ASSERT_TRUE(h.decoder.forward(std::span(&c, 1), *h.kv, logits).ok());
    EXPECT_ALL_CLOSE(logits, contiguous, 0.0, 0.0);
}

TEST(Decoder, LastModeReturnsTheLastRow) {
    Harness h(testing::tiny_spec());
    const auto ids = prompt(9);
    const auto all = h.run_all(ids, 64);
    BlockTable t;
    ASSERT_TRUE(reserve_positions(*h.kv, t, 9).ok());
    const SequenceChunk c{.tokens = ids, .pos0 = 0, .blocks = &t, .logits = LogitsMode::Last};
    std::vector<float> last;
    ASSERT_TRUE(h.decoder.forward(std::span(&c, 1), *h.kv, last).ok());
    EXPECT_ALL_CLOSE(last, std::span<const float>(all).subspan(8 * 300), 0.0, 0.0);
}

TEST(Decoder, RejectsBadTokenIdsWithoutCrashing) {
    Harness h(testing::tiny_spec());
    BlockTable t;
    ASSERT_TRUE(reserve_positions(*h.kv, t, 3).ok());
    for (int32_t bad : {-1, 300, 1 << 30}) {
        const int32_t ids[] = {1, bad, 2};
        const SequenceChunk c{.tokens = ids, .pos0 = 0, .blocks = &t};
        std::vector<float> logits;
        const Status s = h.decoder.forward(std::span(&c, 1), *h.kv, logits);
        EXPECT_EQ(s.code(), StatusCode::InvalidArgument);
        EXPECT_NE(s.message().find(std::to_string(bad)), std::string::npos);
    }
}

TEST(Decoder, RejectsUncoveredPositionsAndOversizedBatches) {
    Harness h(testing::tiny_spec(), 2, 8);
    BlockTable t;
    ASSERT_TRUE(reserve_positions(*h.kv, t, 16).ok());
    const auto ids = prompt(9);
    std::vector<float> logits;
    const SequenceChunk too_many{.tokens = ids, .pos0 = 0, .blocks = &t};
    EXPECT_EQ(h.decoder.forward(std::span(&too_many, 1), *h.kv, logits).code(),
              StatusCode::InvalidArgument);
    const SequenceChunk past_end{.tokens = std::span(ids).subspan(0, 4), .pos0 = 14, .blocks = &t};
    EXPECT_EQ(h.decoder.forward(std::span(&past_end, 1), *h.kv, logits).code(),
              StatusCode::InvalidArgument);
}

}  // namespace
}  // namespace glmserve::model
