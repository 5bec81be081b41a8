// Tests of paged_attention (src/model/attention.cpp): against a double-precision two-pass
// softmax on the same f16 K/V, for MHA, GQA and MQA shapes and head sizes with SIMD tails; and
// the determinism the engine relies on — the same bits whatever the thread count (which also
// switches between the per-pair and the split-K schedule), however a prompt is chunked, across
// softmax tile and split-wave boundaries.
#include "model/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/float16.h"
#include "kernels/kernel_table.h"

namespace glmserve::model {
namespace {

constexpr int64_t kLayer = 1;  // of two, so that layer offsets matter

// One sequence's K/V in a pool (blocks in reverse order: a scattered table), random queries for
// every position, and a scalar double-precision reference.
class Fixture {
public:
    Fixture(AttentionShape shape, int64_t n_ctx) : shape_(shape), n_ctx_(n_ctx) {
        const int64_t n_embd_kv = shape.n_head_kv * shape.head_dim;
        kv_ = KvPool::create({.n_layer = 2,
                              .n_embd_kv = n_embd_kv,
                              .block_size = 16,
                              .pool_bytes = (n_ctx / 16 + 1) * 2 * 2 * 16 * n_embd_kv * 2})
                  .value();
        EXPECT_TRUE(reserve_positions(*kv_, table_, n_ctx).ok());
        std::reverse(table_.blocks.begin(), table_.blocks.end());
        std::mt19937 rng(42);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (int64_t p = 0; p < n_ctx; ++p) {
            const int32_t block = table_.blocks[static_cast<size_t>(p / 16)];
            const auto slot = static_cast<int32_t>(p % 16);
            for (int64_t d = 0; d < n_embd_kv; ++d) {
                // Keys spread enough that softmax weights range over several orders.
                kv_->k_row(block, kLayer, slot)[d] = kernels::fp32_to_fp16(2.0f * normal(rng));
                kv_->v_row(block, kLayer, slot)[d] = kernels::fp32_to_fp16(normal(rng));
            }
        }
        q_.resize(static_cast<size_t>(n_ctx * width()));
        for (float& x : q_) x = normal(rng);
    }

    int64_t width() const { return shape_.n_head * shape_.head_dim; }

    // Output rows of tokens [pos0, pos0 + n_tokens) from one paged_attention call.
    std::vector<float> run(const kernels::KernelTable& table, int n_threads, int64_t pos0,
                           int64_t n_tokens) {
        kernels::ThreadPool pool(n_threads);
        std::vector<float> out(static_cast<size_t>(n_tokens * width()), -1.0f), scratch;
        const AttentionChunk chunk{.q = q_.data() + pos0 * width(),
                                   .out = out.data(),
                                   .n_tokens = n_tokens,
                                   .pos0 = pos0,
                                   .blocks = &table_};
        paged_attention(shape_, chunk, kLayer,
                        {.vec = table.vec, .kv = *kv_, .pool = pool, .scratch = scratch});
        return out;
    }

    // Softmax(q·K·scale)·V in double, two passes, for the token at position pos.
    std::vector<double> reference(int64_t pos) const {
        const int64_t D = shape_.head_dim, group = shape_.n_head / shape_.n_head_kv;
        std::vector<double> out(static_cast<size_t>(width())), scores(static_cast<size_t>(pos + 1));
        for (int64_t h = 0; h < shape_.n_head; ++h) {
            const float* q = q_.data() + pos * width() + h * D;
            const int64_t off = (h / group) * D;
            for (int64_t p = 0; p <= pos; ++p) {
                double dot = 0.0;
                for (int64_t d = 0; d < D; ++d) dot += q[d] * value(true, p, off + d);
                scores[static_cast<size_t>(p)] = dot * shape_.scale;
            }
            const double m = *std::max_element(scores.begin(), scores.end());
            double sum = 0.0;
            for (double& s : scores) sum += (s = std::exp(s - m));
            for (int64_t p = 0; p <= pos; ++p) {
                for (int64_t d = 0; d < D; ++d) {
                    out[static_cast<size_t>(h * D + d)] +=
                        scores[static_cast<size_t>(p)] / sum * value(false, p, off + d);
                }
            }
        }
        return out;
    }

private:
    double value(bool key, int64_t p, int64_t i) const {
        const int32_t block = table_.blocks[static_cast<size_t>(p / 16)];
        const auto slot = static_cast<int32_t>(p % 16);
        const uint16_t* row =
            key ? kv_->k_row(block, kLayer, slot) : kv_->v_row(block, kLayer, slot);
        return kernels::fp16_to_fp32(row[i]);
    }

    AttentionShape shape_;
    int64_t n_ctx_;
    std::unique_ptr<KvPool> kv_;
    BlockTable table_;
    std::vector<float> q_;
};

std::string name(const AttentionShape& s) {
    return std::to_string(s.n_head) + "/" + std::to_string(s.n_head_kv) + " heads, dim " +
           std::to_string(s.head_dim);
}

// MHA, GQA groups of 2 and 16, MQA; head sizes that are and are not multiples of 8 and 32.
const AttentionShape kShapes[] = {
    {.n_head = 6, .n_head_kv = 6, .head_dim = 12, .scale = 0.2887f},
    {.n_head = 4, .n_head_kv = 2, .head_dim = 8, .scale = 0.3536f},
    {.n_head = 8, .n_head_kv = 1, .head_dim = 40, .scale = 0.1581f},
    {.n_head = 32, .n_head_kv = 2, .head_dim = 128, .scale = 0.0884f},
};

// The outputs are convex combinations of V values of magnitude <= ~4. f32 scores carry a
// relative error of a few 2^-24 per term of q·k (|q·k·scale| <= ~10 here), which exp turns into
// relative weight errors of ~1e-6; the f32 sums over <= 300 positions add a few 1e-7 more.
// Measured worst: 1.1e-6 (ref ops and AVX2 ops alike).
constexpr double kAtol = 2e-5;

std::vector<const kernels::KernelTable*> tables() {
    std::vector<const kernels::KernelTable*> t = {&kernels::ref_kernels()};
    if (&kernels::active_kernels() != t[0]) t.push_back(&kernels::active_kernels());
    return t;
}

TEST(PagedAttention, MatchesDoublePrecisionSoftmax) {
    for (const AttentionShape& shape : kShapes) {
        Fixture f(shape, 300);
        for (const kernels::KernelTable* table : tables()) {
            SCOPED_TRACE(name(shape) + ", table " + std::string(table->name));
            // A prefill of 300 tokens (three tiles for the last) and a decode step.
            const std::vector<float> prefill = f.run(*table, 2, 0, 300);
            const std::vector<float> decode = f.run(*table, 4, 299, 1);
            double worst = 0.0;
            for (const int64_t pos : {0, 1, 127, 128, 129, 200, 299}) {
                const std::vector<double> want = f.reference(pos);
                for (size_t i = 0; i < want.size(); ++i) {
                    const double got = prefill[static_cast<size_t>(pos * f.width()) + i];
                    worst = std::max(worst, std::fabs(got - want[i]));
                    ASSERT_NEAR(got, want[i], kAtol) << "position " << pos << ", element " << i;
                }
            }
            EXPECT_EQ(std::memcmp(decode.data(), prefill.data() + 299 * f.width(),
                                  decode.size() * sizeof(float)),
                      0);
            char worst_text[32];
            std::snprintf(worst_text, sizeof(worst_text), "%.3g", worst);
            RecordProperty(
                "max_abs_diff_" + std::to_string(shape.n_head) + "_" + std::string(table->name),
                worst_text);
        }
    }
}

// One token beyond a whole split wave (kSplitWaveTiles tiles = 4096 positions), and a chunk of
// two tokens whose tile counts differ.
TEST(PagedAttention, SameBitsForEveryThreadCountAndSchedule) {
    const AttentionShape shape = kShapes[1];
    Fixture f(shape, 4300);
    for (const kernels::KernelTable* table : tables()) {
        SCOPED_TRACE(table->name);
        for (const auto& [pos0, n_tokens] :
             {std::pair<int64_t, int64_t>{4299, 1}, {4095, 2}, {127, 2}, {0, 1}}) {
            // One thread computes every pair alone; with more threads than pairs the tiles are
            // spread over threads and merged afterwards.
            const std::vector<float> one = f.run(*table, 1, pos0, n_tokens);
            for (const int n_threads : {2, 3, 8}) {
                const std::vector<float> many = f.run(*table, n_threads, pos0, n_tokens);
                EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0)
                    << "pos0 " << pos0 << ", " << n_tokens << " tokens, " << n_threads
                    << " threads";
            }
        }
        const std::vector<double> want = f.reference(4299);
        const std::vector<float> got = f.run(*table, 3, 4299, 1);
        for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 4 * kAtol) << i;
    }
}

TEST(PagedAttention, ChunkingDoesNotChangeBits) {
    const AttentionShape shape = kShapes[2];
    Fixture f(shape, 300);
    const kernels::KernelTable& table = kernels::active_kernels();
    const std::vector<float> whole = f.run(table, 2, 0, 300);
    for (const int64_t chunk : {1, 7, 128}) {
        std::vector<float> pieces;
        for (int64_t p = 0; p < 300; p += chunk) {
            const std::vector<float> part = f.run(table, 3, p, std::min(chunk, 300 - p));
            pieces.insert(pieces.end(), part.begin(), part.end());
        }
        EXPECT_EQ(std::memcmp(whole.data(), pieces.data(), whole.size() * sizeof(float)), 0)
            << "chunks of " << chunk;
    }
}

}  // namespace
}  // namespace glmserve::model
