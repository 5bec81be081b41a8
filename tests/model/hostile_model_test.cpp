// Hostile hyper-parameters: a structurally valid GGUF whose numbers lie about the model.
// Every combination must load with a clear error or run correctly shaped — never crash,
// abort or allocate without bound (the ASan build runs this too).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "engine/generator.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "kernels/kernel_table.h"
#include "model/model.h"
#include "model/random_model.h"
#include "support/tiny_model.h"

namespace glmserve::model {
namespace {

// The tiny model's bytes with metadata key `key` replaced by the u32 `value`.
std::vector<uint8_t> with_u32(const std::string& key, uint32_t value) {
    gguf::GgufWriter original;
    EXPECT_TRUE(add_random_model(testing::tiny_spec(), kernels::ref_kernels(), original).ok());
    auto file = gguf::GgufFile::from_bytes(original.to_bytes());
    EXPECT_TRUE(file.ok());
    gguf::GgufWriter w;
    w.copy_metadata(file->metadata());
    w.set_u32(key, value);
    for (const auto& t : file->tensors()) {
        EXPECT_TRUE(
            w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.data).ok());
    }
    return w.to_bytes();
}

TEST(HostileModel, LyingHyperParametersFailCleanlyOrRun) {
    const char* keys[] = {
        "glm4.context_length",       "glm4.embedding_length",     "glm4.block_count",
        "glm4.feed_forward_length",  "glm4.attention.head_count", "glm4.attention.head_count_kv",
        "glm4.rope.dimension_count", "glm4.attention.key_length",
    };
    const uint32_t values[] = {0, 1, 2, 3, 7, 32, 65, 1u << 20, 0x7fffffffu, 0xffffffffu};
    kernels::ThreadPool pool(2);
    int loaded = 0, refused = 0;
    for (const char* key : keys) {
        for (uint32_t v : values) {
            SCOPED_TRACE(std::string(key) + " = " + std::to_string(v));
            auto file = gguf::GgufFile::from_bytes(with_u32(key, v));
            ASSERT_TRUE(file.ok()) << file.status().to_string();
            auto m = Model::from_file(std::move(file).value(), kernels::ref_kernels());
            if (!m.ok()) {
                ++refused;
                EXPECT_FALSE(m.status().message().empty());
                continue;
            }
            ++loaded;
            auto gen = engine::Generator::create(*m, kernels::ref_kernels(), pool, {.n_ctx = 8});
            ASSERT_TRUE(gen.ok()) << gen.status().to_string();
            const int32_t prompt[] = {1, 2, 3};
            auto r = (*gen)->generate(prompt, {.max_tokens = 2, .sampling = {.temperature = 0}},
                                      nullptr);
            EXPECT_TRUE(r.ok()) << r.status().to_string();
        }
    }
    // Only values consistent with the tensors load (e.g. any context length, the true sizes).
    EXPECT_GT(loaded, 0);
    EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace glmserve::model
