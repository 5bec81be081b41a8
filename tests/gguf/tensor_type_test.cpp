// Tests for src/gguf/tensor_type.cpp: the block table, name parsing and row sizes.
#include "gguf/tensor_type.h"

#include <gtest/gtest.h>

#include <limits>

namespace glmserve::gguf {
namespace {

struct Expected {
    TensorType type;
    uint32_t id;
    std::string_view name;
    int64_t block_size;
    int64_t block_bytes;
};

// glm-gguf.md §2.1.
constexpr Expected kTable[] = {
    {TensorType::F32, 0, "F32", 1, 4},        {TensorType::F16, 1, "F16", 1, 2},
    {TensorType::BF16, 30, "BF16", 1, 2},     {TensorType::Q4_0, 2, "Q4_0", 32, 18},
    {TensorType::Q4_1, 3, "Q4_1", 32, 20},    {TensorType::Q5_0, 6, "Q5_0", 32, 22},
    {TensorType::Q5_1, 7, "Q5_1", 32, 24},    {TensorType::Q8_0, 8, "Q8_0", 32, 34},
    {TensorType::Q8_1, 9, "Q8_1", 32, 36},    {TensorType::Q2_K, 10, "Q2_K", 256, 84},
    {TensorType::Q3_K, 11, "Q3_K", 256, 110}, {TensorType::Q4_K, 12, "Q4_K", 256, 144},
    {TensorType::Q5_K, 13, "Q5_K", 256, 176}, {TensorType::Q6_K, 14, "Q6_K", 256, 210},
    {TensorType::Q8_K, 15, "Q8_K", 256, 292},
};

TEST(TensorTypeTest, TableMatchesReference) {
    for (const Expected& e : kTable) {
        SCOPED_TRACE(e.name);
        const auto by_id = tensor_type_info(e.id);
        ASSERT_TRUE(by_id.has_value());
        const TensorTypeInfo& info = tensor_type_info(e.type);
        EXPECT_EQ(by_id->type, e.type);
        EXPECT_EQ(info.name, e.name);
        EXPECT_EQ(tensor_type_name(e.type), e.name);
        EXPECT_EQ(info.block_size, e.block_size);
        EXPECT_EQ(info.block_bytes, e.block_bytes);
        EXPECT_EQ(info.is_quantized, e.block_size > 1);
        EXPECT_EQ(static_cast<uint32_t>(e.type), e.id);
    }
}

TEST(TensorTypeTest, UnknownIdsHaveNoInfo) {
    for (uint32_t id : {4u, 5u, 16u, 23u, 24u, 28u, 29u, 31u, 34u, 39u, 42u, 1000u,
                        std::numeric_limits<uint32_t>::max()}) {
        EXPECT_FALSE(tensor_type_info(id).has_value()) << id;
    }
}

TEST(TensorTypeTest, ParseIsCaseInsensitive) {
    EXPECT_EQ(parse_tensor_type("q8_0"), TensorType::Q8_0);
    EXPECT_EQ(parse_tensor_type("Q4_K"), TensorType::Q4_K);
    EXPECT_EQ(parse_tensor_type("bf16"), TensorType::BF16);
    EXPECT_EQ(parse_tensor_type("f32"), TensorType::F32);
    EXPECT_FALSE(parse_tensor_type("q8").has_value());
    EXPECT_FALSE(parse_tensor_type("").has_value());
    EXPECT_FALSE(parse_tensor_type("Q4_K_M").has_value());
    EXPECT_FALSE(parse_tensor_type("iq2_xxs").has_value());
}

TEST(TensorTypeTest, RowBytes) {
    EXPECT_EQ(*row_bytes(TensorType::F32, 10), 40u);
    EXPECT_EQ(*row_bytes(TensorType::F16, 3), 6u);
    EXPECT_EQ(*row_bytes(TensorType::Q8_0, 64), 68u);
    EXPECT_EQ(*row_bytes(TensorType::Q4_K, 4096), 16u * 144u);
    EXPECT_EQ(*row_bytes(TensorType::Q6_K, 0), 0u);
}

TEST(TensorTypeTest, RowBytesErrors) {
    const auto partial = row_bytes(TensorType::Q4_0, 33);
    ASSERT_FALSE(partial.ok());
    EXPECT_EQ(partial.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(partial.status().message().find("not a multiple of the Q4_0 block size 32"),
              std::string::npos);

    const auto negative = row_bytes(TensorType::F32, -4);
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.status().code(), StatusCode::InvalidArgument);

    const auto overflow = row_bytes(TensorType::F32, std::numeric_limits<int64_t>::max() / 2);
    ASSERT_FALSE(overflow.ok());
    EXPECT_NE(overflow.status().message().find("overflows"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::gguf
