// The table of hand-made corrupt GGUF files (STYLE.md §10): each row starts from one small
// valid file, breaks one thing, and checks the reader's error code and a piece of its message.
// Also: every prefix of valid files is rejected without a crash.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gguf/raw_gguf.h"
#include "gguf/reader.h"
#include "gguf/writer.h"

namespace glmserve::gguf {
namespace {

using testing::Bytes;
using testing::RawGguf;

// Two tensors: "a" F32 [8] at 0 (32 bytes), "b" Q8_0 [32, 2] at 32 (68 bytes), no padding after
// the last one, so the file ends exactly where b's data ends.
RawGguf valid_base() {
    RawGguf g;
    g.kvs.push_back(testing::kv_string("general.architecture", "glm4"));
    g.kvs.push_back(testing::kv_u32("test.count", 7));
    g.kvs.push_back(testing::kv_raw(
        "test.words", testing::kTypeArray,
        testing::enc_array(
            testing::kTypeString, 2,
            testing::concat({testing::enc_string("a"), testing::enc_string("bc")}))));
    g.tensors.push_back({"a", {8}, testing::kTensorF32, 0, std::nullopt, std::nullopt});
    g.tensors.push_back({"b", {32, 2}, testing::kTensorQ8_0, 32, std::nullopt, std::nullopt});
    g.data_bytes = 32 + 68;
    return g;
}

struct CorruptCase {
    std::string name;
    std::function<void(RawGguf&)> corrupt;  // edits the valid base
    StatusCode code;
    std::string message_part;
};

std::ostream& operator<<(std::ostream& os, const CorruptCase& c) {
    return os << c.name;
}

constexpr uint64_t kTwoTo40 = uint64_t{1} << 40;

void add_kv(RawGguf& g, uint32_t type, Bytes value, std::string key = "test.bad") {
    g.kvs.push_back(testing::kv_raw(std::move(key), type, std::move(value)));
}

std::vector<CorruptCase> header_cases() {
    return {
        {"BadMagic", [](RawGguf& g) { g.magic = "GGML"; }, StatusCode::DataLoss,
         "not a GGUF file: magic is 'GGML'"},
        {"Version1", [](RawGguf& g) { g.version = 1; }, StatusCode::InvalidArgument,
         "unsupported GGUF version 1"},
        {"Version4", [](RawGguf& g) { g.version = 4; }, StatusCode::InvalidArgument,
         "unsupported GGUF version 4"},
        {"Version0", [](RawGguf& g) { g.version = 0; }, StatusCode::InvalidArgument,
         "unsupported GGUF version 0"},
        {"BigEndianVersion", [](RawGguf& g) { g.version = 0x03000000; },
         StatusCode::InvalidArgument, "big-endian GGUF file (version field reads 0x03000000)"},
        {"HugeTensorCount", [](RawGguf& g) { g.tensor_count = uint64_t{1} << 40; },
         StatusCode::DataLoss, "tensor_count 1099511627776 is impossible"},
        {"NegativeTensorCount", [](RawGguf& g) { g.tensor_count = ~uint64_t{0}; },
         StatusCode::DataLoss, "tensor_count -1 is negative"},
        {"HugeKvCount", [](RawGguf& g) { g.kv_count = uint64_t{1} << 62; }, StatusCode::DataLoss,
         "kv_count 4611686018427387904 is impossible"},
        {"CountsTogetherTooBig",
         [](RawGguf& g) {
             // Each count alone fits the bytes that follow, the two together do not.
             const uint64_t left = g.bytes().size() - 24;
             g.tensor_count = left / 33;
             g.kv_count = left / 14;
         },
         StatusCode::DataLoss, "need at least"},
        {"TensorCountOneTooMany", [](RawGguf& g) { g.tensor_count = 3; }, StatusCode::DataLoss,
         "tensor #2 name"},
    };
}

std::vector<CorruptCase> kv_cases() {
    using namespace testing;
    return {
        {"StringPastEnd",
         [](RawGguf& g) { add_kv(g, kTypeString, enc_string_claiming(1 << 20, "abc")); },
         StatusCode::DataLoss, "key 'test.bad': STRING value: string length 1048576"},
        {"StringLength2To40",
         [](RawGguf& g) { add_kv(g, kTypeString, enc_string_claiming(kTwoTo40, "abc")); },
         StatusCode::DataLoss, "string length 1099511627776 at offset"},
        {"KeyLength2To40", [](RawGguf& g) { g.kvs[0].key_len = kTwoTo40; }, StatusCode::DataLoss,
         "key #0: string length 1099511627776 at offset 24 exceeds"},
        {"KeyLengthPastEnd", [](RawGguf& g) { g.kvs[2].key_len = 1 << 20; }, StatusCode::DataLoss,
         "key #2: string length 1048576"},
        {"ArrayCountOverCap",
         [](RawGguf& g) { add_kv(g, kTypeArray, enc_array(kTypeU8, uint64_t{1} << 31, {})); },
         StatusCode::DataLoss, "key 'test.bad': array count 2147483648 exceeds the limit"},
        {"ArrayCountPastEnd",
         [](RawGguf& g) { add_kv(g, kTypeArray, enc_array(kTypeU32, uint64_t{1} << 29, {})); },
         StatusCode::DataLoss, "key 'test.bad': truncated file: array elements needs 2147483648"},
        {"StringArrayCountPastEnd",
         [](RawGguf& g) { add_kv(g, kTypeArray, enc_array(kTypeString, 1 << 28, {})); },
         StatusCode::DataLoss, "array of 268435456 strings needs at least"},
        {"StringArrayElementPastEnd",
         [](RawGguf& g) {
             add_kv(g, kTypeArray,
                    enc_array(kTypeString, 2,
                              concat({enc_string("x"), enc_string_claiming(1 << 20, "y")})));
         },
         StatusCode::DataLoss, "key 'test.bad': element 1: array element: string length"},
        {"NestedArray",
         [](RawGguf& g) {
             add_kv(g, kTypeArray, enc_array(kTypeArray, 1, enc_array(kTypeU8, 1, {7})));
         },
         StatusCode::DataLoss, "key 'test.bad': arrays of arrays are not supported"},
        {"UnknownValueType", [](RawGguf& g) { add_kv(g, 13, enc_u32(0)); }, StatusCode::DataLoss,
         "key 'test.bad': unknown value type 13"},
        {"NegativeValueType", [](RawGguf& g) { add_kv(g, 0xFFFFFFFF, enc_u32(0)); },
         StatusCode::DataLoss, "unknown value type -1"},
        {"UnknownArrayElementType",
         [](RawGguf& g) { add_kv(g, kTypeArray, enc_array(99, 1, {0})); }, StatusCode::DataLoss,
         "key 'test.bad': unknown array element type 99"},
        {"DuplicateKey", [](RawGguf& g) { g.kvs.push_back(kv_u32("test.count", 8)); },
         StatusCode::DataLoss, "duplicate key 'test.count'"},
        {"EmptyKey", [](RawGguf& g) { g.kvs.insert(g.kvs.begin() + 1, kv_u32("", 1)); },
         StatusCode::DataLoss, "key #1 is empty"},
    };
}

std::vector<CorruptCase> alignment_cases() {
    using namespace testing;
    return {
        {"AlignmentNotPowerOfTwo",
         [](RawGguf& g) { g.kvs.push_back(kv_u32("general.alignment", 48)); }, StatusCode::DataLoss,
         "key 'general.alignment' is 48, not a power of two"},
        {"AlignmentZero", [](RawGguf& g) { g.kvs.push_back(kv_u32("general.alignment", 0)); },
         StatusCode::DataLoss, "key 'general.alignment' is 0, not a power of two"},
        {"AlignmentWrongType",
         [](RawGguf& g) { add_kv(g, kTypeI32, enc_i32(32), "general.alignment"); },
         StatusCode::DataLoss, "key 'general.alignment' has type INT32, expected UINT32"},
        {"AlignmentArray",
         [](RawGguf& g) {
             add_kv(g, kTypeArray, enc_array(kTypeU32, 1, enc_u32(32)), "general.alignment");
         },
         StatusCode::DataLoss, "has type ARRAY, expected UINT32"},
        {"TruncatedScalar",
         [](RawGguf& g) {
             g.tensors.clear();
             g.data_bytes = 0;
             add_kv(g, kTypeU64, enc_u32(1));
         },
         StatusCode::DataLoss, "key 'test.bad': truncated file: UINT64 value needs 8 bytes"},
    };
}

std::vector<CorruptCase> tensor_cases() {
    using namespace testing;
    return {
        {"UnknownTensorType", [](RawGguf& g) { g.tensors[0].type = 99; }, StatusCode::DataLoss,
         "tensor 'a': unknown or unsupported tensor type id 99"},
        {"RetiredTensorType4", [](RawGguf& g) { g.tensors[0].type = 4; }, StatusCode::DataLoss,
         "tensor 'a': unknown or unsupported tensor type id 4"},
        {"RetiredTensorType5", [](RawGguf& g) { g.tensors[0].type = 5; }, StatusCode::DataLoss,
         "tensor type id 5"},
        {"UnsupportedIqType", [](RawGguf& g) { g.tensors[0].type = 16; }, StatusCode::DataLoss,
         "tensor type id 16"},
        {"NDims0", [](RawGguf& g) { g.tensors[0].n_dims = 0; }, StatusCode::DataLoss,
         "tensor 'a': n_dims 0 is outside 1..4"},
        {"NDims5",
         [](RawGguf& g) {
             g.tensors[0].n_dims = 5;
             g.tensors[0].ne = {8, 1, 1, 1, 1};
         },
         StatusCode::DataLoss, "tensor 'a': n_dims 5 is outside 1..4"},
        {"Dim0",
         [](RawGguf& g) {
             g.tensors[1].ne = {32, 0};
         },
         StatusCode::DataLoss, "tensor 'b': ne[1] is 0; dimensions must be > 0"},
        {"DimNegative", [](RawGguf& g) { g.tensors[0].ne = {-8}; }, StatusCode::DataLoss,
         "tensor 'a': ne[0] is -8"},
        {"ElementCountOverflow",
         [](RawGguf& g) {
             g.tensors[0].ne = {int64_t{1} << 32, int64_t{1} << 32};
         },
         StatusCode::DataLoss, "element count of shape [4294967296, 4294967296] overflows int64"},
        {"ByteSizeOverflow", [](RawGguf& g) { g.tensors[0].ne = {int64_t{1} << 62}; },
         StatusCode::DataLoss, "tensor 'a': byte size of shape [4611686018427387904] overflows"},
        {"RowNotMultipleOfBlock",
         [](RawGguf& g) {
             g.tensors[1].ne = {33, 2};
         },
         StatusCode::DataLoss,
         "tensor 'b': ne[0] = 33 is not a multiple of the Q8_0 block size 32"},
    };
}

std::vector<CorruptCase> placement_cases() {
    return {
        {"OffsetMisaligned", [](RawGguf& g) { g.tensors[1].offset = 48; }, StatusCode::DataLoss,
         "tensor 'b': offset 48 is not a multiple of the alignment 32"},
        {"DataPastEof", [](RawGguf& g) { g.data_bytes = 99; }, StatusCode::DataLoss,
         "tensor 'b': data ["},
        {"OffsetFarPastEof", [](RawGguf& g) { g.tensors[1].offset = uint64_t{1} << 40; },
         StatusCode::DataLoss, "lies outside the file (size"},
        {"OffsetOverflows", [](RawGguf& g) { g.tensors[1].offset = ~uint64_t{31}; },
         StatusCode::DataLoss, "tensor 'b': offset 18446744073709551584 + 68 bytes overflows"},
        {"OverlappingTensors", [](RawGguf& g) { g.tensors[1].offset = 0; }, StatusCode::DataLoss,
         "tensors 'a' [0, 32) and 'b' [0, 68) overlap"},
        {"OverlappingOutOfOrder",
         [](RawGguf& g) {
             g.tensors[0].offset = 64;
             g.data_bytes = 128;
         },
         StatusCode::DataLoss, "tensors 'b' [32, 100) and 'a' [64, 96) overlap"},
        {"DuplicateTensorName", [](RawGguf& g) { g.tensors[1].name = "a"; }, StatusCode::DataLoss,
         "duplicate tensor name 'a'"},
        {"TensorName64Bytes", [](RawGguf& g) { g.tensors[1].name = std::string(64, 'n'); },
         StatusCode::DataLoss, "is 64 bytes; names must be shorter than 64 bytes"},
        {"TensorNameLength2To40", [](RawGguf& g) { g.tensors[1].name_len = kTwoTo40; },
         StatusCode::DataLoss, "tensor #1 name: string length 1099511627776"},
        {"EmptyTensorName", [](RawGguf& g) { g.tensors[0].name.clear(); }, StatusCode::DataLoss,
         "tensor #0 name is empty"},
        {"TensorNameUnprintable",
         [](RawGguf& g) {
             g.tensors[1].name = std::string("a\n'", 3);
             g.tensors[1].offset = 48;
         },
         StatusCode::DataLoss, "tensor 'a\\x0a\\x27': offset 48"},
        {"NoTensorData", [](RawGguf& g) { g.data_bytes = 0; }, StatusCode::DataLoss,
         "tensor 'a': data [224, 256) lies outside the file (size 224)"},
        {"DataSectionStartsPastEof",
         [](RawGguf& g) {
             g.tensors[0].name = "abc";  // the infos now end 1 byte before a 32-byte boundary
             g.alignment = 1;            // and no padding is written
             g.data_bytes = 0;
         },
         StatusCode::DataLoss,
         "tensor data section would start at 224, past the end of the file "
         "(size 223)"},
    };
}

std::vector<CorruptCase> all_cases() {
    std::vector<CorruptCase> out;
    for (auto part :
         {header_cases(), kv_cases(), alignment_cases(), tensor_cases(), placement_cases()}) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

class CorruptFileTest : public ::testing::TestWithParam<CorruptCase> {};

TEST(CorruptFileBaseTest, BaseFileIsValid) {
    const Bytes bytes = valid_base().bytes();
    auto file = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    ASSERT_EQ(file->tensors().size(), 2u);
    EXPECT_EQ(file->data_offset() + 100, file->file_bytes());
    const TensorInfo& b = file->tensors()[1];
    EXPECT_EQ(b.n_bytes, 68u);
    // The data section holds a 0..255 ramp; b starts 32 bytes in.
    EXPECT_EQ(b.data[0], 32);
    EXPECT_EQ(b.data[67], 99);
}

// Every prefix of a valid file (which ends exactly at its last tensor's data) is an error.
void expect_every_prefix_rejected(const Bytes& bytes) {
    ASSERT_TRUE(GgufFile::from_bytes(bytes).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
        const auto file = GgufFile::from_bytes(std::span(bytes).first(n));
        ASSERT_FALSE(file.ok()) << "prefix of " << n << " bytes was accepted";
        EXPECT_TRUE(file.status().code() == StatusCode::DataLoss) << file.status().to_string();
    }
}

TEST(CorruptFileBaseTest, EveryPrefixOfBaseIsRejected) {
    expect_every_prefix_rejected(valid_base().bytes());
}

TEST(CorruptFileBaseTest, EveryPrefixOfWriterFileIsRejected) {
    GgufWriter w;
    w.set_string("general.architecture", "glm4");
    w.set_u8("t.u8", 1);
    w.set_i16("t.i16", -2);
    w.set_u64("t.u64", 3);
    w.set_f64("t.f64", 4.5);
    w.set_bool("t.bool", true);
    const std::vector<std::string> words = {"x", "", "yz"};
    w.set_string_array("t.words", words);
    const std::vector<int32_t> ints = {1, -2, 3};
    w.set_i32_array("t.ints", ints);
    const std::vector<uint8_t> f32_data(size_t{4} * 16, 0x3c);
    ASSERT_TRUE(w.add_tensor("f", TensorType::F32, std::vector<int64_t>{16}, f32_data).ok());
    const std::vector<uint8_t> q_data(size_t{34} * 16, 0x11);  // 544 bytes: a multiple of 32
    ASSERT_TRUE(w.add_tensor("q", TensorType::Q8_0, std::vector<int64_t>{64, 8}, q_data).ok());
    expect_every_prefix_rejected(w.to_bytes());
}

// A poor man's fuzz run that always happens: overwrite each byte of the base file with a few
// values; the reader may accept or reject but must never crash (run under ASan in CI).
TEST(CorruptFileBaseTest, SingleByteChangesNeverCrash) {
    const Bytes base = valid_base().bytes();
    size_t n_rejected = 0;
    for (size_t i = 0; i < base.size(); ++i) {
        for (uint8_t v :
             {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
            Bytes bytes = base;
            bytes[i] = v;
            const auto file = GgufFile::from_bytes(bytes);
            if (!file.ok()) ++n_rejected;
        }
    }
    EXPECT_GT(n_rejected, 0u);
}

TEST_P(CorruptFileTest, IsRejectedWithMessage) {
    const CorruptCase& c = GetParam();
    RawGguf g = valid_base();
    c.corrupt(g);
    const auto file = GgufFile::from_bytes(g.bytes());
    ASSERT_FALSE(file.ok()) << c.name << " was accepted";
    EXPECT_EQ(file.status().code(), c.code) << file.status().to_string();
    EXPECT_NE(file.status().message().find(c.message_part), std::string::npos)
        << "message: " << file.status().message() << "\nexpected to contain: " << c.message_part;
}

INSTANTIATE_TEST_SUITE_P(Table, CorruptFileTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace glmserve::gguf
