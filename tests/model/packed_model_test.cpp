// A whole model with packed weights (model.cpp's pack_matrices: every matrix the table has a
// row-interleaved layout for, its file pages released) computes the same logits, bit for bit, as
// the same file kept row-major (GLMSERVE_PACKED_WEIGHTS=0), for every packed format: prefill in
// chunks and single-token decode steps, which take the kernels' multi-token and one-token paths.
// Skips on a CPU without the avx2 level (the reference table packs nothing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/writer.h"
#include "kernels/cpu_features.h"
#include "kernels/simd_tables.h"
#include "model/decoder.h"
#include "model/model.h"
#include "model/random_model.h"
#include "support/tiny_model.h"

namespace glmserve::model {
namespace {

using T = gguf::TensorType;

class PackedModelTest : public ::testing::TestWithParam<T> {
protected:
    void SetUp() override {
        if (!kernels::detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; no table packs weights";
        }
    }
};

// The model of `spec` loaded with the AVX2 table, packed or kept row-major.
std::shared_ptr<const Model> load(const RandomModelSpec& spec, bool packed) {
    gguf::GgufWriter writer;
    EXPECT_TRUE(add_random_model(spec, kernels::ref_kernels(), writer).ok());
    auto file = gguf::GgufFile::from_bytes(writer.to_bytes());
    EXPECT_TRUE(file.ok());
    if (!packed) {
        EXPECT_EQ(::setenv("GLMSERVE_PACKED_WEIGHTS", "0", 1), 0);
    }
    auto m = Model::from_file(std::move(file).value(), kernels::avx2_kernels());
    EXPECT_EQ(::unsetenv("GLMSERVE_PACKED_WEIGHTS"), 0);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? m.value() : nullptr;
}

// Logits at every position of one sequence: the prompt in chunks of 5, then 3 one-token steps.
std::vector<float> logits_of(const std::shared_ptr<const Model>& model) {
    kernels::ThreadPool pool(2);
    Decoder decoder(model, kernels::avx2_kernels(), pool, {.max_batch_tokens = 16});
    auto kv =
        KvPool::create_for(model->hparams(), 32 * 16 * kv_bytes_per_token(model->hparams()), 16)
            .value();
    std::vector<int32_t> ids(15);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 37 + 11) % 300);
    BlockTable table;
    EXPECT_TRUE(reserve_positions(*kv, table, static_cast<int64_t>(ids.size())).ok());
    std::vector<float> all, step;
    const size_t chunks[] = {5, 5, 2, 1, 1, 1};
    size_t at = 0;
    for (const size_t n : chunks) {
        const SequenceChunk c{.tokens = std::span<const int32_t>(ids).subspan(at, n),
                              .pos0 = static_cast<int64_t>(at),
                              .blocks = &table,
                              .logits = LogitsMode::All};
        EXPECT_TRUE(decoder.forward(std::span(&c, 1), *kv, step).ok());
        all.insert(all.end(), step.begin(), step.end());
        at += n;
    }
    release_all(*kv, table);
    return all;
}

TEST_P(PackedModelTest, SameLogitsAsRowMajor) {
    RandomModelSpec spec = testing::tiny_spec();
    spec.n_embd = 256;  // a K-quant super-block
    spec.n_ff = 512;
    spec.type = GetParam();
    const auto packed = load(spec, true);
    const auto plain = load(spec, false);
    ASSERT_NE(packed, nullptr);
    ASSERT_NE(plain, nullptr);
    EXPECT_GT(packed->packed_bytes(), 0u) << "nothing was packed";
    EXPECT_EQ(plain->packed_bytes(), 0u);
    const std::vector<float> want = logits_of(plain), got = logits_of(packed);
    ASSERT_EQ(got.size(), want.size());
    ASSERT_EQ(got.size(), 15u * 300);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0);
}

INSTANTIATE_TEST_SUITE_P(PackedFormats, PackedModelTest,
                         ::testing::Values(T::Q8_0, T::Q4_0, T::Q5_0, T::Q4_1, T::Q5_1, T::Q4_K,
                                           T::Q5_K, T::Q6_K),
                         [](const ::testing::TestParamInfo<T>& param) {
                             return std::string(gguf::tensor_type_name(param.param));
                         });

}  // namespace
}  // namespace glmserve::model
