#include "model/hparams.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "gguf/reader.h"
#include "gguf/writer.h"

namespace glmserve::model {
namespace {

gguf::GgufWriter glm4_metadata() {
    gguf::GgufWriter w;
    w.set_string("general.architecture", "glm4");
    w.set_u32("glm4.context_length", 2048);
    w.set_u32("glm4.embedding_length", 256);
    w.set_u32("glm4.block_count", 2);
    w.set_u32("glm4.feed_forward_length", 512);
    w.set_u32("glm4.attention.head_count", 4);
    w.set_u32("glm4.attention.head_count_kv", 2);
    w.set_f32("glm4.attention.layer_norm_rms_epsilon", 1e-5f);
    w.set_u32("glm4.rope.dimension_count", 32);
    return w;
}

Result<HParams> read(const gguf::GgufWriter& w, std::string* warnings = nullptr) {
    auto f = gguf::GgufFile::from_bytes(w.to_bytes());
    if (!f.ok()) return f.status();
    return read_hparams(f->metadata(), warnings);
}

TEST(HParams, ReadsGlm4Keys) {
    auto hp = read(glm4_metadata());
    ASSERT_TRUE(hp.ok()) << hp.status().to_string();
    EXPECT_EQ(hp->arch, Arch::Glm4);
    EXPECT_EQ(hp->n_embd, 256);
    EXPECT_EQ(hp->n_embd_head, 64);
    EXPECT_EQ(hp->n_rot, 32);
    EXPECT_EQ(hp->n_gqa(), 2);
    EXPECT_FLOAT_EQ(hp->rope_freq_base, 10000.0f);
    EXPECT_FLOAT_EQ(hp->attn_scale, 0.125f);  // 1/sqrt(head dim 64), not of n_rot
}

TEST(HParams, GlmWithoutRopeDimensionRotatesHalfTheHeadAndWarns) {
    gguf::GgufWriter w = glm4_metadata();
    auto bytes = w.to_bytes();
    // Rebuild without the key.
    gguf::GgufWriter w2;
    auto f = gguf::GgufFile::from_bytes(bytes);
    ASSERT_TRUE(f.ok());
    for (const auto& kv : f->metadata().entries()) {
        if (kv.key == "glm4.rope.dimension_count") continue;
        if (kv.value.type == gguf::ValueType::String)
            w2.set_string(kv.key, kv.value.str);
        else if (kv.value.type == gguf::ValueType::Float32)
            w2.set_f32(kv.key, static_cast<float>(kv.value.f));
        else
            w2.set_u32(kv.key, static_cast<uint32_t>(kv.value.u));
    }
    std::string warnings;
    auto hp = read(w2, &warnings);
    ASSERT_TRUE(hp.ok()) << hp.status().to_string();
    EXPECT_EQ(hp->n_rot, 32);
    EXPECT_NE(warnings.find("rope.dimension_count"), std::string::npos);
}

TEST(HParams, UnknownArchitectureIsUnimplementedAndNamed) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_string("general.architecture", "mamba");
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_EQ(hp.status().code(), StatusCode::Unimplemented);
    EXPECT_NE(hp.status().message().find("mamba"), std::string::npos);
}

TEST(HParams, MissingRequiredKeyIsNamed) {
    gguf::GgufWriter w;
    w.set_string("general.architecture", "glm4");
    w.set_u32("glm4.context_length", 2048);
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.status().message().find("glm4.embedding_length"), std::string::npos);
}

TEST(HParams, WrongTypeIsAnError) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_string("glm4.block_count", "two");
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.status().message().find("glm4.block_count"), std::string::npos);
}

TEST(HParams, HeadsNotDivisibleByKvHeadsRejected) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_u32("glm4.attention.head_count_kv", 3);
    EXPECT_FALSE(read(w).ok());
}

TEST(HParams, ZeroCountRejected) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_u32("glm4.block_count", 0);
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.status().message().find("block_count"), std::string::npos);
}

TEST(HParams, OddRotaryDimsRejected) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_u32("glm4.rope.dimension_count", 33);
    EXPECT_FALSE(read(w).ok());
}

// GLM-4.1V's text tower: rotary dims 32 here (half of head dim 64), so 16 pairs.
gguf::GgufWriter mrope_metadata(std::span<const int32_t> sections) {
    gguf::GgufWriter w = glm4_metadata();
    w.set_i32_array("glm4.rope.dimension_sections", sections);
    return w;
}

TEST(HParams, MRopeSectionsSwitchGlm4ToHalfSplitPairs) {
    const int32_t sections[] = {4, 6, 6, 0};
    auto hp = read(mrope_metadata(sections));
    ASSERT_TRUE(hp.ok()) << hp.status().to_string();
    EXPECT_TRUE(hp->mrope());
    EXPECT_EQ(hp->rope_style, RopeStyle::Neox);
    EXPECT_EQ(hp->rope_sections, (RopeSections{4, 6, 6, 0}));
}

TEST(HParams, SectionsWithoutBothLeadingParts_AreIgnoredAsTheRuntimesDo) {
    for (const auto& sections : {std::array<int32_t, 4>{0, 8, 8, 0}, {16, 0, 0, 0}}) {
        auto hp = read(mrope_metadata(sections));
        ASSERT_TRUE(hp.ok()) << hp.status().to_string();
        EXPECT_FALSE(hp->mrope());
        EXPECT_EQ(hp->rope_style, RopeStyle::Norm);
    }
}

TEST(HParams, MalformedRopeSectionsAreRefusedWithTheKeyNamed) {
    const std::vector<std::vector<int32_t>> bad = {
        {4, 6, 6},        // 3 elements
        {4, 6, 6, 0, 0},  // 5
        {4, -6, 6, 0},    // negative
        {4, 6, 2, 0},     // 12 pairs, not the 16 of 32 rotary dims
        {400, 6, 6, 0},   // beyond the rotary dims
    };
    for (const auto& sections : bad) {
        auto hp = read(mrope_metadata(sections));
        ASSERT_FALSE(hp.ok()) << ::testing::PrintToString(sections);
        EXPECT_NE(hp.status().message().find("rope.dimension_sections"), std::string::npos)
            << hp.status().message();
    }
    gguf::GgufWriter w = glm4_metadata();
    w.set_string("glm4.rope.dimension_sections", "8,12,12,0");
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.status().message().find("rope.dimension_sections"), std::string::npos);
}

TEST(HParams, MRopeOutsideGlm4IsRefusedClearly) {
    gguf::GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.context_length", 2048);
    w.set_u32("llama.embedding_length", 256);
    w.set_u32("llama.block_count", 2);
    w.set_u32("llama.feed_forward_length", 512);
    w.set_u32("llama.attention.head_count", 4);
    w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    const int32_t sections[] = {8, 12, 12, 0};  // 32 pairs: llama rotates its whole 64-dim head
    w.set_i32_array("llama.rope.dimension_sections", sections);
    auto hp = read(w);
    ASSERT_FALSE(hp.ok());
    EXPECT_EQ(hp.status().code(), StatusCode::Unimplemented);
    EXPECT_NE(hp.status().message().find("M-RoPE"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::model
