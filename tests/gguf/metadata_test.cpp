// Tests for src/gguf/metadata.cpp: getter semantics (NotFound vs wrong type, conversions that
// must not wrap, *_or fallbacks only for absent keys) and describe().
#include "gguf/metadata.h"

#include <gtest/gtest.h>

#include <limits>

#include "gguf/reader.h"
#include "gguf/writer.h"

namespace glmserve::gguf {
namespace {

class MetadataTest : public ::testing::Test {
protected:
    void SetUp() override {
        GgufWriter w;
        w.set_string("s", "glm4");
        w.set_u8("u8", 200);
        w.set_i8("i8", -3);
        w.set_u32("u32", 4096);
        w.set_i32("i32", -1);
        w.set_u64("u64.big", std::numeric_limits<uint64_t>::max());
        w.set_u64("u64.mid", uint64_t{1} << 40);
        w.set_i64("i64.min", std::numeric_limits<int64_t>::min());
        w.set_f32("f32", 1.5f);
        w.set_f64("f64", -0.25);
        w.set_bool("b", true);
        const std::vector<std::string> words = {"hello", "", "wörld"};
        w.set_string_array("words", words);
        const std::vector<int32_t> ints = {1, -2, 3};
        w.set_i32_array("ints", ints);
        const std::vector<uint32_t> uints = {7, 8};
        w.set_u32_array("uints", uints);
        const std::vector<float> floats = {0.5f, -1.0f};
        w.set_f32_array("floats", floats);
        w.set_u32_array("empty", std::span<const uint32_t>());
        bytes_ = w.to_bytes();
        auto file = GgufFile::from_bytes(bytes_);
        ASSERT_TRUE(file.ok()) << file.status().to_string();
        file_ = std::make_unique<GgufFile>(std::move(file).value());
    }
    const Metadata& md() const { return file_->metadata(); }

    std::vector<uint8_t> bytes_;
    std::unique_ptr<GgufFile> file_;
};

void expect_code(const Status& s, StatusCode code, std::string_view part) {
    EXPECT_EQ(s.code(), code) << s.to_string();
    EXPECT_NE(s.message().find(part), std::string::npos) << s.message() << " lacks " << part;
}

TEST_F(MetadataTest, MissingKeyIsNotFound) {
    expect_code(md().get_string("nope").status(), StatusCode::NotFound, "key 'nope' not found");
    expect_code(md().get_uint("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_int("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_u32("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_float("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_bool("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_string_array("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_int_array("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_float_array("nope").status(), StatusCode::NotFound, "nope");
    expect_code(md().get_array_size("nope").status(), StatusCode::NotFound, "nope");
    EXPECT_FALSE(md().contains("nope"));
    EXPECT_EQ(md().find("nope"), nullptr);
}

TEST_F(MetadataTest, WrongTypeIsInvalidArgumentNamingBothTypes) {
    expect_code(md().get_string("u32").status(), StatusCode::InvalidArgument,
                "key 'u32' has type UINT32, expected STRING");
    expect_code(md().get_u32("s").status(), StatusCode::InvalidArgument,
                "key 's' has type STRING, expected an integer");
    expect_code(md().get_float("u32").status(), StatusCode::InvalidArgument,
                "expected FLOAT32 or FLOAT64");
    expect_code(md().get_bool("u8").status(), StatusCode::InvalidArgument, "expected BOOL");
    expect_code(md().get_uint("b").status(), StatusCode::InvalidArgument, "has type BOOL");
    expect_code(md().get_string_array("ints").status(), StatusCode::InvalidArgument,
                "key 'ints' has type ARRAY of INT32, expected ARRAY of STRING");
    expect_code(md().get_int_array("floats").status(), StatusCode::InvalidArgument,
                "ARRAY of FLOAT32");
    expect_code(md().get_float_array("ints").status(), StatusCode::InvalidArgument,
                "expected ARRAY of FLOAT32 or FLOAT64");
    expect_code(md().get_array_size("s").status(), StatusCode::InvalidArgument, "expected ARRAY");
    expect_code(md().get_u32("words").status(), StatusCode::InvalidArgument, "ARRAY of STRING");
}

TEST_F(MetadataTest, ScalarValues) {
    EXPECT_EQ(*md().get_string("s"), "glm4");
    EXPECT_EQ(*md().get_u32("u32"), 4096u);
    EXPECT_EQ(*md().get_uint("u8"), 200u);
    EXPECT_EQ(*md().get_int("i8"), -3);
    EXPECT_EQ(*md().get_int("i32"), -1);
    EXPECT_EQ(*md().get_int("i64.min"), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(*md().get_uint("u64.big"), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(*md().get_int("u64.mid"), int64_t{1} << 40);
    EXPECT_DOUBLE_EQ(*md().get_float("f32"), 1.5);
    EXPECT_DOUBLE_EQ(*md().get_float("f64"), -0.25);
    EXPECT_TRUE(*md().get_bool("b"));
}

TEST_F(MetadataTest, IntegerConversionsNeverWrap) {
    expect_code(md().get_uint("i32").status(), StatusCode::InvalidArgument,
                "key 'i32': value -1 does not fit uint64");
    expect_code(md().get_u32("i8").status(), StatusCode::InvalidArgument, "-3");
    expect_code(md().get_int("u64.big").status(), StatusCode::InvalidArgument,
                "value 18446744073709551615 does not fit int64");
    expect_code(md().get_u32("u64.mid").status(), StatusCode::InvalidArgument,
                "key 'u64.mid': value 1099511627776 does not fit uint32");
}

TEST_F(MetadataTest, OrFormsFallBackOnlyWhenAbsent) {
    EXPECT_EQ(*md().get_string_or("nope", "dflt"), "dflt");
    EXPECT_EQ(*md().get_u32_or("nope", 17), 17u);
    EXPECT_DOUBLE_EQ(*md().get_float_or("nope", 2.5), 2.5);
    EXPECT_FALSE(*md().get_bool_or("nope", false));

    EXPECT_EQ(*md().get_string_or("s", "dflt"), "glm4");
    EXPECT_EQ(*md().get_u32_or("u32", 17), 4096u);
    EXPECT_DOUBLE_EQ(*md().get_float_or("f32", 2.5), 1.5);
    EXPECT_TRUE(*md().get_bool_or("b", false));

    // Present with the wrong type: an error, never the fallback.
    expect_code(md().get_string_or("u32", "dflt").status(), StatusCode::InvalidArgument, "u32");
    expect_code(md().get_u32_or("s", 1).status(), StatusCode::InvalidArgument, "STRING");
    expect_code(md().get_u32_or("i32", 1).status(), StatusCode::InvalidArgument, "-1");
    expect_code(md().get_float_or("u32", 1.0).status(), StatusCode::InvalidArgument, "UINT32");
    expect_code(md().get_bool_or("u8", true).status(), StatusCode::InvalidArgument, "UINT8");
}

TEST_F(MetadataTest, Arrays) {
    const auto words = md().get_string_array("words");
    ASSERT_TRUE(words.ok());
    ASSERT_EQ(words->size(), 3u);
    EXPECT_EQ((*words)[0], "hello");
    EXPECT_EQ((*words)[1], "");
    EXPECT_EQ((*words)[2], "wörld");
    EXPECT_EQ(*md().get_int_array("ints"), (std::vector<int64_t>{1, -2, 3}));
    EXPECT_EQ(*md().get_int_array("uints"), (std::vector<int64_t>{7, 8}));
    EXPECT_EQ(*md().get_float_array("floats"), (std::vector<float>{0.5f, -1.0f}));
    EXPECT_EQ(*md().get_array_size("words"), 3u);
    EXPECT_EQ(*md().get_array_size("empty"), 0u);
    EXPECT_TRUE(md().get_int_array("empty")->empty());
}

TEST_F(MetadataTest, EntriesKeepFileOrder) {
    ASSERT_EQ(md().size(), 16u);
    EXPECT_EQ(md().entries()[0].key, "s");
    EXPECT_EQ(md().entries()[15].key, "empty");
}

TEST_F(MetadataTest, Describe) {
    EXPECT_EQ(Metadata::describe(*md().find("s")), "\"glm4\"");
    EXPECT_EQ(Metadata::describe(*md().find("u32")), "4096");
    EXPECT_EQ(Metadata::describe(*md().find("i32")), "-1");
    EXPECT_EQ(Metadata::describe(*md().find("f32")), "1.5");
    EXPECT_EQ(Metadata::describe(*md().find("b")), "true");
    EXPECT_EQ(Metadata::describe(*md().find("words")), "[3 strings]");
    EXPECT_EQ(Metadata::describe(*md().find("ints")), "[1, -2, 3]");
    EXPECT_EQ(Metadata::describe(*md().find("empty")), "[]");
}

TEST(MetadataBuiltTest, HandBuiltMetadataAndDescribeEscapes) {
    Value long_text;
    long_text.type = ValueType::String;
    const std::string text = "line1\n\"q\"\t" + std::string(100, 'x');
    long_text.str = text;
    Value big_array;
    big_array.type = ValueType::Array;
    big_array.array_type = ValueType::Uint8;
    big_array.array_count = 20;
    const std::vector<uint8_t> raw(20, 1);
    big_array.array_bytes = raw;
    const Metadata md({{"t", long_text}, {"a", big_array}});
    const std::string d = Metadata::describe(*md.find("t"));
    EXPECT_EQ(d.substr(0, 16), "\"line1\\n\\\"q\\\"\\tx");
    EXPECT_NE(d.find("... (110 bytes)"), std::string::npos) << d;
    EXPECT_EQ(Metadata::describe(*md.find("a")), "[20 UINT8 values]");
    EXPECT_EQ(*md.get_array_size("a"), 20u);
}

TEST(MetadataBuiltTest, ValueTypeNamesAndSizes) {
    EXPECT_EQ(value_type_name(ValueType::Float64), "FLOAT64");
    EXPECT_EQ(value_type_name(static_cast<ValueType>(99)), "UNKNOWN");
    EXPECT_EQ(value_type_size(ValueType::Int16), 2u);
    EXPECT_EQ(value_type_size(ValueType::Uint64), 8u);
    EXPECT_EQ(value_type_size(ValueType::String), 0u);
}

}  // namespace
}  // namespace glmserve::gguf
