#include "model/random_model.h"

#include <gtest/gtest.h>

#include <numeric>

namespace glmserve::model {
namespace {

// `make-model --preset glm4v-9b` must write sections that read_hparams accepts: they have to
// cover the preset's rotary pairs exactly (half of the 128-dim heads rotate: 32 pairs).
TEST(RandomModelPresets, Glm4vPresetHasGlm41vSectionsOverItsRotaryPairs) {
    auto spec = random_model_preset("glm4v-9b");
    ASSERT_TRUE(spec.ok()) << spec.status().to_string();
    EXPECT_EQ(spec->arch, Arch::Glm4);
    EXPECT_EQ(spec->rope_sections, (RopeSections{8, 12, 12, 0}));
    const int64_t head_dim = spec->n_embd / spec->n_head;
    const int64_t n_rot = spec->n_rot > 0 ? spec->n_rot : head_dim / 2;
    const int64_t pairs =
        std::accumulate(spec->rope_sections.begin(), spec->rope_sections.end(), int64_t{0});
    EXPECT_EQ(2 * pairs, n_rot);
}

TEST(RandomModelPresets, RopeSectionsOutsideGlm4AreRefused) {
    RandomModelSpec spec;
    spec.arch = Arch::Llama;
    spec.n_vocab = 10;
    spec.rope_sections = {8, 12, 12, 0};
    gguf::GgufWriter writer;
    const Status status = add_random_model(spec, kernels::ref_kernels(), writer);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("M-RoPE"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::model
