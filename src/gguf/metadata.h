// GGUF metadata: the key/value section, parsed and validated once, then read with typed getters.
//
// Strings and arrays are views into the mapped file (owner: the GgufFile that made this
// Metadata, which must outlive it) or, for metadata built in memory with the constructor, into
// storage the caller keeps alive. Numeric array elements may be unaligned in the file, so they
// are read with memcpy. Lookups by key go through a hash index built by the constructor.
//
// Getters return NotFound when the key is absent and InvalidArgument naming the key and both
// types when it has another type. Integer getters accept any integer type whose value fits;
// float getters accept FLOAT32 and FLOAT64. The *_or forms return the fallback only when the
// key is absent, never when it has the wrong type (STYLE.md §3: no quiet fallbacks).
// Thread: immutable after construction; safe to read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace glmserve::gguf {

enum class ValueType : uint32_t {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
};

std::string_view value_type_name(ValueType type);
// Bytes of one scalar of this type; 0 for String and Array.
uint64_t value_type_size(ValueType type);

// One metadata value. Scalars are stored widened; arrays keep their element type and a view of
// the packed elements (numeric) or a list of string views.
struct Value {
    ValueType type = ValueType::Uint8;
    // Scalars (type is neither String nor Array): exactly one of these is meaningful.
    uint64_t u = 0;        // unsigned integers and Bool
    int64_t i = 0;         // signed integers
    double f = 0.0;        // floats
    std::string_view str;  // String
    // Array:
    ValueType array_type = ValueType::Uint8;
    uint64_t array_count = 0;
    std::span<const uint8_t> array_bytes;         // packed numeric elements
    std::vector<std::string_view> array_strings;  // when array_type == String
};

struct KeyValue {
    std::string_view key;
    Value value;
};

class Metadata {
public:
    Metadata() = default;
    explicit Metadata(std::vector<KeyValue> entries);

    std::span<const KeyValue> entries() const { return entries_; }
    size_t size() const { return entries_.size(); }
    bool contains(std::string_view key) const { return find(key) != nullptr; }
    const Value* find(std::string_view key) const;

    Result<std::string_view> get_string(std::string_view key) const;
    Result<uint64_t> get_uint(std::string_view key) const;  // any integer type, value >= 0
    Result<int64_t> get_int(std::string_view key) const;    // any integer type, fits int64
    Result<uint32_t> get_u32(std::string_view key) const;   // any integer type, fits uint32
    Result<double> get_float(std::string_view key) const;   // Float32 or Float64
    Result<bool> get_bool(std::string_view key) const;

    Result<std::string_view> get_string_or(std::string_view key, std::string_view fallback) const;
    Result<uint32_t> get_u32_or(std::string_view key, uint32_t fallback) const;
    Result<double> get_float_or(std::string_view key, double fallback) const;
    Result<bool> get_bool_or(std::string_view key, bool fallback) const;

    // Arrays. Element conversions follow the scalar rules above.
    Result<std::span<const std::string_view>> get_string_array(std::string_view key) const;
    Result<std::vector<int64_t>> get_int_array(std::string_view key) const;
    Result<std::vector<float>> get_float_array(std::string_view key) const;
    // Number of elements of an array value, any element type.
    Result<uint64_t> get_array_size(std::string_view key) const;

    // A human-readable rendering of a value ("[151552 strings]", "4096", "\"glm4\"").
    static std::string describe(const Value& value);

private:
    std::vector<KeyValue> entries_;  // in file order; keys are unique (the reader checks)
    // key -> index into entries_; on a duplicate key (only possible for hand-built metadata)
    // the first entry wins. The keys view the same storage as entries_.
    std::unordered_map<std::string_view, size_t> index_;
};

}  // namespace glmserve::gguf
