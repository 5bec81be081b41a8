#include "model/weights.h"

#include <gtest/gtest.h>

#include "gguf/writer.h"
#include "kernels/kernel_table.h"
#include "model/model.h"
#include "model/random_model.h"
#include "support/tiny_model.h"

namespace glmserve::model {
namespace {

// Copies a model file, letting `edit` drop or replace tensors.
Result<std::shared_ptr<const Model>> rebuild(
    const RandomModelSpec& spec,
    const std::function<bool(const gguf::TensorInfo&, gguf::GgufWriter&)>& edit) {
    gguf::GgufWriter original;
    GS_RETURN_IF_ERROR(add_random_model(spec, kernels::ref_kernels(), original));
    GS_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::from_bytes(original.to_bytes()));
    gguf::GgufWriter w;
    w.copy_metadata(file.metadata());
    for (const auto& t : file.tensors()) {
        if (edit(t, w)) continue;
        GS_RETURN_IF_ERROR(
            w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.data));
    }
    GS_ASSIGN_OR_RETURN(gguf::GgufFile edited, gguf::GgufFile::from_bytes(w.to_bytes()));
    return Model::from_file(std::move(edited), kernels::ref_kernels());
}

TEST(Weights, KnobsFollowArchitectureAndTensors) {
    auto glm4 = testing::make_tiny_model(testing::tiny_spec(Arch::Glm4));
    EXPECT_TRUE(glm4->weights().knobs.post_norms);
    EXPECT_TRUE(glm4->weights().knobs.fused_gate_up);
    EXPECT_TRUE(glm4->weights().knobs.qkv_bias);
    EXPECT_FALSE(glm4->weights().knobs.fused_qkv);
    EXPECT_FALSE(glm4->weights().knobs.tied_output);

    auto chatglm = testing::make_tiny_model(testing::tiny_spec(Arch::ChatGlm));
    EXPECT_TRUE(chatglm->weights().knobs.fused_qkv);
    EXPECT_FALSE(chatglm->weights().knobs.post_norms);

    RandomModelSpec llama_spec = testing::tiny_spec(Arch::Llama);
    llama_spec.tied_output = true;
    auto llama = testing::make_tiny_model(llama_spec);
    EXPECT_FALSE(llama->weights().knobs.fused_gate_up);
    EXPECT_FALSE(llama->weights().knobs.qkv_bias);
    EXPECT_TRUE(llama->weights().knobs.tied_output);
    EXPECT_EQ(llama->hparams().n_rot, llama->hparams().n_embd_head);
}

TEST(Weights, MissingTensorIsNamed) {
    auto m = rebuild(testing::tiny_spec(), [](const gguf::TensorInfo& t, gguf::GgufWriter&) {
        return t.name == "blk.1.ffn_down.weight";
    });
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::DataLoss);
    EXPECT_NE(m.status().message().find("blk.1.ffn_down.weight"), std::string::npos);
}

TEST(Weights, MisShapedTensorIsNamedWithBothShapes) {
    auto m = rebuild(testing::tiny_spec(), [](const gguf::TensorInfo& t, gguf::GgufWriter& w) {
        if (t.name != "blk.0.attn_k.weight") return false;
        // Same bytes, transposed shape.
        const std::vector<int64_t> ne = {t.ne[1], t.ne[0]};
        EXPECT_TRUE(w.add_tensor(t.name, t.type, ne, t.data).ok());
        return true;
    });
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.status().message().find("blk.0.attn_k.weight"), std::string::npos);
    EXPECT_NE(m.status().message().find("expected [64, 32]"), std::string::npos);
}

TEST(Weights, UnexpectedExtraTensorIsAnError) {
    auto m = rebuild(testing::tiny_spec(), [](const gguf::TensorInfo& t, gguf::GgufWriter& w) {
        if (t.name == "output_norm.weight") {
            const std::vector<int64_t> ne = {t.ne[0]};
            EXPECT_TRUE(w.add_tensor("blk.0.mystery.weight", t.type, ne, t.data).ok());
        }
        return false;
    });
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.status().message().find("blk.0.mystery.weight"), std::string::npos);
}

TEST(Weights, NormsAndBiasesAreF32Copies) {
    auto m = testing::make_tiny_model(testing::tiny_spec());
    const LayerWeights& l = m->weights().layers[0];
    EXPECT_EQ(l.attn_norm.size(), 64u);
    EXPECT_EQ(l.bq.size(), 64u);
    EXPECT_EQ(l.bk.size(), 32u);
    EXPECT_EQ(l.post_ffn_norm.size(), 64u);
}

}  // namespace
}  // namespace glmserve::model
