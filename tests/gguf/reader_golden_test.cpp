// Tests src/gguf/reader.cpp against real files written by another runtime's converter
// (../shared/golden, see its README). Skipped with a message when the folder is absent.
#include <gtest/gtest.h>

#include "gguf/reader.h"
#include "support/golden.h"

namespace glmserve::gguf {
namespace {

TEST(ReaderGoldenTest, Glm4F32Opens) {
    GS_REQUIRE_GOLDEN(golden);
    auto file = GgufFile::open(golden / "models/glm4-f32.gguf");
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    const Metadata& md = file->metadata();
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(*md.get_string("general.architecture"), "glm4");
    EXPECT_EQ(*md.get_array_size("tokenizer.ggml.tokens"), 4097u);
    EXPECT_EQ(md.get_string_array("tokenizer.ggml.tokens")->size(), 4097u);
    EXPECT_EQ(*md.get_u32("glm4.embedding_length"), 256u);
    EXPECT_EQ(*md.get_u32("glm4.block_count"), 2u);
    EXPECT_EQ(file->tensors().size(), 29u);
    const TensorInfo* embd = file->find_tensor("token_embd.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->type, TensorType::F32);
    EXPECT_EQ(embd->shape_string(), "[256, 4097]");
    EXPECT_EQ(embd->n_bytes, 256u * 4097u * 4u);
    EXPECT_EQ(embd->row_bytes(), 1024u);
}

// Every model and vocabulary file of the golden set opens, and the tensors tile the data.
TEST(ReaderGoldenTest, EveryGoldenFileOpens) {
    GS_REQUIRE_GOLDEN(golden);
    size_t n_files = 0;
    for (const char* sub : {"models", "tokenizer"}) {
        for (const auto& entry : std::filesystem::directory_iterator(golden / sub)) {
            if (entry.path().extension() != ".gguf") continue;
            ++n_files;
            SCOPED_TRACE(entry.path().string());
            auto file = GgufFile::open(entry.path());
            ASSERT_TRUE(file.ok()) << file.status().to_string();
            EXPECT_TRUE(file->metadata().get_string("general.architecture").ok());
            EXPECT_LE(file->data_offset() + file->tensor_data_bytes(), file->file_bytes());
            for (const TensorInfo& t : file->tensors()) {
                EXPECT_EQ(t.data.size(), t.n_bytes) << t.name;
                EXPECT_EQ(t.offset % file->alignment(), 0u) << t.name;
            }
        }
    }
    EXPECT_GE(n_files, 12u);
}

TEST(ReaderGoldenTest, QuantizedFileHasMixedTypes) {
    GS_REQUIRE_GOLDEN(golden);
    auto file = GgufFile::open(golden / "models/glm4-q4_k_m.gguf");
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    bool has_q4_k = false;
    for (const TensorInfo& t : file->tensors()) has_q4_k |= t.type == TensorType::Q4_K;
    EXPECT_TRUE(has_q4_k);
}

}  // namespace
}  // namespace glmserve::gguf
