// RawGguf: a byte-level GGUF builder for tests that need files the real writer refuses to make
// (bad magic, wrong counts, n_dims 0, misaligned offsets, ...).
//
// Every field is written exactly as given; nothing is validated or derived except the padding
// between the tensor infos and the data section, which follows `alignment`. Values are encoded
// by the enc_* helpers into the bytes that follow a key's type tag.
// Thread: test-only values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glmserve::gguf::testing {

using Bytes = std::vector<uint8_t>;

// GGUF value type ids and tensor type ids as raw numbers (the point is to write bad ones too).
inline constexpr uint32_t kTypeU8 = 0, kTypeI32 = 5, kTypeU32 = 4, kTypeF32 = 6, kTypeBool = 7,
                          kTypeString = 8, kTypeArray = 9, kTypeU64 = 10;
inline constexpr uint32_t kTensorF32 = 0, kTensorQ8_0 = 8;

struct RawKv {
    std::string key;
    uint32_t type = kTypeU32;
    Bytes value;                      // the encoded bytes after the type tag
    std::optional<uint64_t> key_len;  // written as the key's length instead of key.size()
};

struct RawTensor {
    std::string name;
    std::vector<int64_t> ne;
    uint32_t type = kTensorF32;
    uint64_t offset = 0;
    std::optional<uint32_t> n_dims;    // written instead of ne.size() when set
    std::optional<uint64_t> name_len;  // written as the name's length instead of name.size()
};

struct RawGguf {
    std::string magic = "GGUF";
    uint32_t version = 3;
    std::optional<uint64_t> tensor_count;  // written instead of tensors.size() when set
    std::optional<uint64_t> kv_count;      // written instead of kvs.size() when set
    std::vector<RawKv> kvs;
    std::vector<RawTensor> tensors;
    uint32_t alignment = 32;  // padding before the data section (only when tensors exist)
    uint64_t data_bytes = 0;  // bytes (a 0..255 ramp) after the data section starts

    Bytes bytes() const;
};

// Encoders for the bytes after a type tag.
Bytes enc_u32(uint32_t v);
Bytes enc_u64(uint64_t v);
Bytes enc_i32(int32_t v);
Bytes enc_string(std::string_view s);
// A string whose length field says `claimed_len` but which carries only `actual`.
Bytes enc_string_claiming(uint64_t claimed_len, std::string_view actual);
// Array header (element type, count) followed by `elements` as given.
Bytes enc_array(uint32_t element_type, uint64_t count, const Bytes& elements);
Bytes concat(std::initializer_list<Bytes> parts);

RawKv kv_raw(std::string key, uint32_t type, Bytes value);
RawKv kv_u32(std::string key, uint32_t v);
RawKv kv_string(std::string key, std::string_view v);

}  // namespace glmserve::gguf::testing
