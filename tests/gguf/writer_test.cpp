// Tests for src/gguf/writer.cpp, read back through src/gguf/reader.cpp: every value type,
// arrays, tensors of many types (offsets, alignment, identical bytes), write() to disk, and
// add_tensor's refusals.
#include "gguf/writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>

#include "gguf/reader.h"
#include "gguf/temp_dir.h"

namespace glmserve::gguf {
namespace {

using testing::TempDir;

struct TensorSpec {
    std::string name;
    TensorType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
};

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(n);
    for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

TensorSpec make_tensor(std::string name, TensorType type, std::vector<int64_t> ne) {
    int64_t rows = 1;
    for (size_t d = 1; d < ne.size(); ++d) rows *= ne[d];
    const uint64_t n = *row_bytes(type, ne[0]) * static_cast<uint64_t>(rows);
    auto data = random_bytes(n, static_cast<uint32_t>(n + name.size()));
    return {std::move(name), type, std::move(ne), std::move(data)};
}

std::vector<TensorSpec> many_tensors() {
    return {
        make_tensor("f32.weight", TensorType::F32, {8, 3}),
        make_tensor("f16.weight", TensorType::F16, {16}),
        make_tensor("bf16.weight", TensorType::BF16, {4, 2, 3}),
        make_tensor("q4_0.weight", TensorType::Q4_0, {64, 2}),
        make_tensor("q8_0.weight", TensorType::Q8_0, {32, 1, 1, 3}),
        make_tensor("q2_k.weight", TensorType::Q2_K, {256}),
        make_tensor("q4_k.weight", TensorType::Q4_K, {256, 2}),
        make_tensor("q6_k.weight", TensorType::Q6_K, {512}),
        make_tensor("q5_1.weight", TensorType::Q5_1, {32, 5}),
    };
}

void set_every_value_type(GgufWriter& w) {
    w.set_string("general.architecture", "glm4");
    w.set_u8("v.u8", 255);
    w.set_i8("v.i8", -128);
    w.set_u16("v.u16", 65535);
    w.set_i16("v.i16", -32768);
    w.set_u32("v.u32", 4000000000u);
    w.set_i32("v.i32", std::numeric_limits<int32_t>::min());
    w.set_u64("v.u64", std::numeric_limits<uint64_t>::max());
    w.set_i64("v.i64", std::numeric_limits<int64_t>::min());
    w.set_f32("v.f32", -3.5f);
    w.set_f64("v.f64", 1e300);
    w.set_bool("v.bool.true", true);
    w.set_bool("v.bool.false", false);
    w.set_string("v.empty", "");
    w.set_string("v.nul", std::string_view("a\0b", 3));
    const std::vector<std::string> words = {"Ġthe", "", "[gMASK]", std::string(300, 'z')};
    w.set_string_array("v.words", words);
    const std::vector<int32_t> ints = {-1, 0, 1, std::numeric_limits<int32_t>::max()};
    w.set_i32_array("v.ints", ints);
    const std::vector<uint32_t> uints = {0, 4294967295u};
    w.set_u32_array("v.uints", uints);
    const std::vector<float> floats = {0.0f, -1.25f, 3e38f};
    w.set_f32_array("v.floats", floats);
    w.set_f32_array("v.empty_floats", std::span<const float>());
}

void expect_every_value_type(const Metadata& md) {
    EXPECT_EQ(*md.get_string("general.architecture"), "glm4");
    EXPECT_EQ(*md.get_uint("v.u8"), 255u);
    EXPECT_EQ(*md.get_int("v.i8"), -128);
    EXPECT_EQ(*md.get_uint("v.u16"), 65535u);
    EXPECT_EQ(*md.get_int("v.i16"), -32768);
    EXPECT_EQ(*md.get_u32("v.u32"), 4000000000u);
    EXPECT_EQ(*md.get_int("v.i32"), std::numeric_limits<int32_t>::min());
    EXPECT_EQ(*md.get_uint("v.u64"), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(*md.get_int("v.i64"), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(*md.get_float("v.f32"), -3.5);
    EXPECT_EQ(*md.get_float("v.f64"), 1e300);
    EXPECT_TRUE(*md.get_bool("v.bool.true"));
    EXPECT_FALSE(*md.get_bool("v.bool.false"));
    EXPECT_EQ(*md.get_string("v.empty"), "");
    EXPECT_EQ(*md.get_string("v.nul"), std::string_view("a\0b", 3));
    const auto words = *md.get_string_array("v.words");
    ASSERT_EQ(words.size(), 4u);
    EXPECT_EQ(words[0], "Ġthe");
    EXPECT_EQ(words[1], "");
    EXPECT_EQ(words[2], "[gMASK]");
    EXPECT_EQ(words[3], std::string(300, 'z'));
    EXPECT_EQ(*md.get_int_array("v.ints"),
              (std::vector<int64_t>{-1, 0, 1, std::numeric_limits<int32_t>::max()}));
    EXPECT_EQ(*md.get_int_array("v.uints"), (std::vector<int64_t>{0, 4294967295}));
    EXPECT_EQ(*md.get_float_array("v.floats"), (std::vector<float>{0.0f, -1.25f, 3e38f}));
    EXPECT_EQ(*md.get_array_size("v.empty_floats"), 0u);
    const Value* types[] = {md.find("v.u8"),  md.find("v.i8"),  md.find("v.u16"), md.find("v.i16"),
                            md.find("v.u32"), md.find("v.i32"), md.find("v.u64"), md.find("v.i64"),
                            md.find("v.f32"), md.find("v.f64")};
    const ValueType expected[] = {ValueType::Uint8,  ValueType::Int8,   ValueType::Uint16,
                                  ValueType::Int16,  ValueType::Uint32, ValueType::Int32,
                                  ValueType::Uint64, ValueType::Int64,  ValueType::Float32,
                                  ValueType::Float64};
    for (size_t i = 0; i < std::size(types); ++i) EXPECT_EQ(types[i]->type, expected[i]) << i;
}

// Offsets are the running sum of padded sizes, every tensor starts on an aligned file offset,
// and the bytes are the ones given.
void expect_tensors(const GgufFile& file, std::span<const uint8_t> bytes,
                    const std::vector<TensorSpec>& specs) {
    const uint64_t align = file.alignment();
    ASSERT_EQ(file.tensors().size(), specs.size());
    EXPECT_EQ(file.data_offset() % align, 0u);
    uint64_t expected_offset = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
        const TensorInfo& t = file.tensors()[i];
        SCOPED_TRACE(specs[i].name);
        EXPECT_EQ(t.name, specs[i].name);
        EXPECT_EQ(t.type, specs[i].type);
        ASSERT_EQ(t.n_dims, static_cast<int>(specs[i].ne.size()));
        for (int d = 0; d < 4; ++d) {
            EXPECT_EQ(t.ne[d], d < t.n_dims ? specs[i].ne[static_cast<size_t>(d)] : 1);
        }
        EXPECT_EQ(t.offset, expected_offset);
        EXPECT_EQ(t.n_bytes, specs[i].data.size());
        EXPECT_EQ(static_cast<uint64_t>(t.data.data() - bytes.data()),
                  file.data_offset() + t.offset);
        EXPECT_EQ((file.data_offset() + t.offset) % align, 0u);
        EXPECT_TRUE(
            std::equal(t.data.begin(), t.data.end(), specs[i].data.begin(), specs[i].data.end()));
        EXPECT_EQ(file.find_tensor(specs[i].name), &t);
        expected_offset += (t.n_bytes + align - 1) / align * align;
        total += t.n_bytes;
    }
    EXPECT_EQ(file.tensor_data_bytes(), total);
    EXPECT_EQ(file.file_bytes(), file.data_offset() + expected_offset);  // last one padded too
    EXPECT_EQ(file.find_tensor("absent"), nullptr);
}

GgufWriter full_writer(const std::vector<TensorSpec>& specs) {
    GgufWriter w;
    set_every_value_type(w);
    for (const TensorSpec& s : specs) {
        const Status st = w.add_tensor(s.name, s.type, s.ne, s.data);
        EXPECT_TRUE(st.ok()) << st.to_string();
    }
    return w;
}

TEST(WriterTest, RoundTripEveryValueTypeAndTensorType) {
    const auto specs = many_tensors();
    const std::vector<uint8_t> bytes = full_writer(specs).to_bytes();
    auto file = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->alignment(), 32u);
    EXPECT_EQ(file->path(), "<memory>");
    EXPECT_EQ(file->metadata().size(), 20u);
    expect_every_value_type(file->metadata());
    // from_bytes copies: compare positions against its own copy via the first tensor.
    const uint8_t* base = file->tensors()[0].data.data() - file->data_offset();
    expect_tensors(*file, {base, bytes.size()}, specs);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), base));
}

TEST(WriterTest, CustomAlignment) {
    const auto specs = many_tensors();
    GgufWriter w = full_writer(specs);
    w.set_alignment(64);
    EXPECT_EQ(w.alignment(), 64u);
    const std::vector<uint8_t> bytes = w.to_bytes();
    auto file = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_EQ(file->alignment(), 64u);
    EXPECT_EQ(*file->metadata().get_u32("general.alignment"), 64u);
    const uint8_t* base = file->tensors()[0].data.data() - file->data_offset();
    expect_tensors(*file, {base, bytes.size()}, specs);
    // The private copy is page aligned like a mapping, so tensor data is aligned in memory too.
    for (const TensorInfo& t : file->tensors()) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data.data()) % 64, 0u) << t.name;
    }
}

TEST(WriterTest, NoTensorsMeansNoPadding) {
    GgufWriter w;
    w.set_string("general.architecture", "glm4");
    const auto bytes = w.to_bytes();
    EXPECT_EQ(bytes.size(), 4u + 4 + 8 + 8 + (8 + 20) + 4 + (8 + 4));
    auto file = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_TRUE(file->tensors().empty());
    EXPECT_EQ(file->data_offset(), bytes.size());
    EXPECT_EQ(file->tensor_data_bytes(), 0u);
}

TEST(WriterTest, Version2IsAccepted) {
    auto bytes = full_writer(many_tensors()).to_bytes();
    bytes[4] = 2;
    auto file = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_EQ(file->version(), 2u);
}

TEST(WriterTest, SecondSetReplacesInPlace) {
    GgufWriter w;
    w.set_u32("a", 1);
    w.set_string("b", "x");
    w.set_string("a", "now a string");
    EXPECT_EQ(w.n_entries(), 2u);
    auto file = GgufFile::from_bytes(w.to_bytes());
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(file->metadata().entries()[0].key, "a");
    EXPECT_EQ(*file->metadata().get_string("a"), "now a string");
}

TEST(WriterTest, WriteToFileMatchesToBytesAndLeavesNoTemp) {
    TempDir dir;
    const auto path = dir.path() / "model.gguf";
    const GgufWriter w = full_writer(many_tensors());
    ASSERT_TRUE(w.write(path).ok());
    ASSERT_TRUE(w.write(path).ok());  // overwriting an existing file works
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> on_disk((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, w.to_bytes());
    size_t n_files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) {
        ++n_files;
    }
    EXPECT_EQ(n_files, 1u);

    auto file = GgufFile::open(path);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    EXPECT_EQ(file->path(), path.string());
    expect_every_value_type(file->metadata());
    const uint8_t* base = file->tensors()[0].data.data() - file->data_offset();
    expect_tensors(*file, {base, on_disk.size()}, many_tensors());
}

TEST(WriterTest, WriteIntoMissingDirectoryFails) {
    TempDir dir;
    const Status s = GgufWriter().write(dir.path() / "no" / "such" / "dir.gguf");
    EXPECT_EQ(s.code(), StatusCode::NotFound) << s.to_string();
    EXPECT_NE(s.message().find("create '"), std::string::npos) << s.message();
}

TEST(WriterTest, CopyMetadataRoundTrips) {
    GgufWriter original = full_writer({});
    original.set_alignment(128);
    auto first = GgufFile::from_bytes(original.to_bytes());
    ASSERT_TRUE(first.ok());

    GgufWriter copy;
    copy.copy_metadata(first->metadata());
    auto second = GgufFile::from_bytes(copy.to_bytes());
    ASSERT_TRUE(second.ok()) << second.status().to_string();
    expect_every_value_type(second->metadata());
    EXPECT_FALSE(second->metadata().contains("general.alignment"));
    EXPECT_EQ(second->metadata().size(), first->metadata().size() - 1);
    for (const KeyValue& kv : second->metadata().entries()) {
        EXPECT_EQ(Metadata::describe(kv.value), Metadata::describe(*first->metadata().find(kv.key)))
            << kv.key;
    }
}

TEST(WriterTest, AddTensorRefusesBadInput) {
    GgufWriter w;
    const std::vector<uint8_t> data(32, 0);
    const std::vector<int64_t> ne8 = {8};
    ASSERT_TRUE(w.add_tensor("t", TensorType::F32, ne8, data).ok());
    struct Bad {
        std::string name;
        TensorType type;
        std::vector<int64_t> ne;
        size_t n_bytes;
        std::string message_part;
    };
    const Bad bad[] = {
        {"", TensorType::F32, {8}, 32, "tensor name is empty"},
        {std::string(64, 'n'), TensorType::F32, {8}, 32, "shorter than 64 bytes"},
        {"t", TensorType::F32, {8}, 32, "tensor 't': name already used"},
        {"u", TensorType::F32, {}, 0, "0 dims; expected 1..4"},
        {"u", TensorType::F32, {1, 1, 1, 1, 8}, 32, "5 dims"},
        {"u", TensorType::F32, {8, 0}, 0, "ne[1] = 0 must be > 0"},
        {"u", TensorType::F32, {-8}, 0, "ne[0] = -8"},
        {"u", TensorType::Q8_0, {48}, 51, "not a multiple of the Q8_0 block size 32"},
        {"u", TensorType::F32, {8}, 31, "tensor 'u': 31 data bytes given, shape needs 32"},
        {"u", TensorType::F32, {8, int64_t{1} << 40, int64_t{1} << 40}, 0, "row count overflows"},
        {"u", TensorType::F32, {int64_t{1} << 40, int64_t{1} << 23}, 0, "byte size overflows"},
    };
    for (const Bad& b : bad) {
        const std::vector<uint8_t> bytes(b.n_bytes, 0);
        const Status s = w.add_tensor(b.name, b.type, b.ne, bytes);
        EXPECT_EQ(s.code(), StatusCode::InvalidArgument) << b.message_part;
        EXPECT_NE(s.message().find(b.message_part), std::string::npos)
            << s.message() << " lacks " << b.message_part;
    }
    EXPECT_EQ(w.n_tensors(), 1u);
}

}  // namespace
}  // namespace glmserve::gguf
