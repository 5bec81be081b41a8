// Metadata: typed getters over parsed GGUF key/values (see metadata.h for the conversion rules).
//
// Integer conversions never wrap: a value that does not fit the requested type is an
// InvalidArgument naming the key and the value. Array elements are decoded with memcpy because
// they sit at arbitrary (unaligned) offsets in the mapped file.
#include "gguf/metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace glmserve::gguf {
namespace {

bool is_integer(ValueType t) {
    switch (t) {
        case ValueType::Uint8:
        case ValueType::Int8:
        case ValueType::Uint16:
        case ValueType::Int16:
        case ValueType::Uint32:
        case ValueType::Int32:
        case ValueType::Uint64:
        case ValueType::Int64: return true;
        default: return false;
    }
}

bool is_signed_integer(ValueType t) {
    return t == ValueType::Int8 || t == ValueType::Int16 || t == ValueType::Int32 ||
           t == ValueType::Int64;
}

bool is_float(ValueType t) {
    return t == ValueType::Float32 || t == ValueType::Float64;
}

// "UINT32", or "ARRAY of STRING" for arrays.
std::string full_type_name(const Value& v) {
    if (v.type != ValueType::Array) return std::string(value_type_name(v.type));
    return fmt::format("ARRAY of {}", value_type_name(v.array_type));
}

Status wrong_type(std::string_view key, const Value& v, std::string_view expected) {
    return invalid_argument(
        fmt::format("key '{}' has type {}, expected {}", key, full_type_name(v), expected));
}

template <typename T>
T load(const uint8_t* p) {
    T out;
    std::memcpy(&out, p, sizeof(T));
    return out;
}

// Decodes element i of a numeric array into a scalar Value of the element type.
Value element_at(const Value& arr, uint64_t i) {
    // The reader guarantees the packed bytes match the count; hand-built metadata must too.
    GS_CHECK(i < arr.array_count &&
             (i + 1) * value_type_size(arr.array_type) <= arr.array_bytes.size());
    Value v;
    v.type = arr.array_type;
    const uint8_t* p = arr.array_bytes.data() + i * value_type_size(arr.array_type);
    switch (arr.array_type) {
        case ValueType::Uint8: v.u = load<uint8_t>(p); break;
        case ValueType::Int8:       // sign extension is the point: INT8 is signed
            v.i = load<int8_t>(p);  // NOLINT(bugprone-signed-char-misuse)
            break;
        case ValueType::Uint16: v.u = load<uint16_t>(p); break;
        case ValueType::Int16: v.i = load<int16_t>(p); break;
        case ValueType::Uint32: v.u = load<uint32_t>(p); break;
        case ValueType::Int32: v.i = load<int32_t>(p); break;
        case ValueType::Uint64: v.u = load<uint64_t>(p); break;
        case ValueType::Int64: v.i = load<int64_t>(p); break;
        case ValueType::Float32: v.f = load<float>(p); break;
        case ValueType::Float64: v.f = load<double>(p); break;
        case ValueType::Bool: v.u = load<uint8_t>(p) != 0 ? 1 : 0; break;
        case ValueType::String:
        case ValueType::Array: break;
    }
    return v;
}

std::string integer_text(const Value& v) {
    return is_signed_integer(v.type) ? fmt::format("{}", v.i) : fmt::format("{}", v.u);
}

// Integer conversions of a scalar integer Value; `what` names it in errors.
Result<uint64_t> to_uint64(const Value& v, std::string_view what) {
    if (!is_signed_integer(v.type)) return v.u;
    if (v.i >= 0) return static_cast<uint64_t>(v.i);
    return invalid_argument(fmt::format("{}: value {} does not fit uint64", what, v.i));
}

Result<int64_t> to_int64(const Value& v, std::string_view what) {
    if (is_signed_integer(v.type)) return v.i;
    if (v.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return static_cast<int64_t>(v.u);
    }
    return invalid_argument(fmt::format("{}: value {} does not fit int64", what, v.u));
}

Result<uint32_t> to_uint32(const Value& v, std::string_view what) {
    GS_ASSIGN_OR_RETURN(const uint64_t u, to_uint64(v, what));
    if (u <= std::numeric_limits<uint32_t>::max()) return static_cast<uint32_t>(u);
    return invalid_argument(fmt::format("{}: value {} does not fit uint32", what, u));
}

// Appends `s` quoted, escaping control bytes, and cut at max_bytes.
void append_quoted(std::string& out, std::string_view s, size_t max_bytes) {
    out += '"';
    const size_t n = std::min(s.size(), max_bytes);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    if (s.size() > max_bytes) out += fmt::format("... ({} bytes)", s.size());
}

std::string describe_scalar(const Value& v) {
    if (v.type == ValueType::Bool) return v.u != 0 ? "true" : "false";
    if (is_float(v.type)) return fmt::format("{}", v.f);
    if (v.type == ValueType::String) {
        std::string out;
        append_quoted(out, v.str, 80);
        return out;
    }
    return integer_text(v);
}

constexpr uint64_t kDescribeMaxElements = 8;

}  // namespace

std::string_view value_type_name(ValueType type) {
    switch (type) {
        case ValueType::Uint8: return "UINT8";
        case ValueType::Int8: return "INT8";
        case ValueType::Uint16: return "UINT16";
        case ValueType::Int16: return "INT16";
        case ValueType::Uint32: return "UINT32";
        case ValueType::Int32: return "INT32";
        case ValueType::Float32: return "FLOAT32";
        case ValueType::Bool: return "BOOL";
        case ValueType::String: return "STRING";
        case ValueType::Array: return "ARRAY";
        case ValueType::Uint64: return "UINT64";
        case ValueType::Int64: return "INT64";
        case ValueType::Float64: return "FLOAT64";
    }
    return "UNKNOWN";
}

uint64_t value_type_size(ValueType type) {
    switch (type) {
        case ValueType::Uint8:
        case ValueType::Int8:
        case ValueType::Bool: return 1;
        case ValueType::Uint16:
        case ValueType::Int16: return 2;
        case ValueType::Uint32:
        case ValueType::Int32:
        case ValueType::Float32: return 4;
        case ValueType::Uint64:
        case ValueType::Int64:
        case ValueType::Float64: return 8;
        case ValueType::String:
        case ValueType::Array: return 0;
    }
    return 0;
}

Metadata::Metadata(std::vector<KeyValue> entries) : entries_(std::move(entries)) {
    index_.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].key, i);
}

const Value* Metadata::find(std::string_view key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].value;
}

Result<std::string_view> Metadata::get_string(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::String) return wrong_type(key, *v, "STRING");
    return v->str;
}

Result<uint64_t> Metadata::get_uint(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (!is_integer(v->type)) return wrong_type(key, *v, "an integer");
    return to_uint64(*v, fmt::format("key '{}'", key));
}

Result<int64_t> Metadata::get_int(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (!is_integer(v->type)) return wrong_type(key, *v, "an integer");
    return to_int64(*v, fmt::format("key '{}'", key));
}

Result<uint32_t> Metadata::get_u32(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (!is_integer(v->type)) return wrong_type(key, *v, "an integer");
    return to_uint32(*v, fmt::format("key '{}'", key));
}

Result<double> Metadata::get_float(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (!is_float(v->type)) return wrong_type(key, *v, "FLOAT32 or FLOAT64");
    return v->f;
}

Result<bool> Metadata::get_bool(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::Bool) return wrong_type(key, *v, "BOOL");
    return v->u != 0;
}

Result<std::string_view> Metadata::get_string_or(std::string_view key,
                                                 std::string_view fallback) const {
    if (!contains(key)) return fallback;
    return get_string(key);
}

Result<uint32_t> Metadata::get_u32_or(std::string_view key, uint32_t fallback) const {
    if (!contains(key)) return fallback;
    return get_u32(key);
}

Result<double> Metadata::get_float_or(std::string_view key, double fallback) const {
    if (!contains(key)) return fallback;
    return get_float(key);
}

Result<bool> Metadata::get_bool_or(std::string_view key, bool fallback) const {
    if (!contains(key)) return fallback;
    return get_bool(key);
}

Result<std::span<const std::string_view>> Metadata::get_string_array(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::Array || v->array_type != ValueType::String) {
        return wrong_type(key, *v, "ARRAY of STRING");
    }
    return std::span<const std::string_view>(v->array_strings);
}

Result<std::vector<int64_t>> Metadata::get_int_array(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::Array || !is_integer(v->array_type)) {
        return wrong_type(key, *v, "ARRAY of an integer type");
    }
    std::vector<int64_t> out;
    out.reserve(v->array_count);
    for (uint64_t i = 0; i < v->array_count; ++i) {
        GS_ASSIGN_OR_RETURN(const int64_t x,
                            to_int64(element_at(*v, i), fmt::format("key '{}'[{}]", key, i)));
        out.push_back(x);
    }
    return out;
}

Result<std::vector<float>> Metadata::get_float_array(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::Array || !is_float(v->array_type)) {
        return wrong_type(key, *v, "ARRAY of FLOAT32 or FLOAT64");
    }
    std::vector<float> out;
    out.reserve(v->array_count);
    for (uint64_t i = 0; i < v->array_count; ++i) {
        out.push_back(static_cast<float>(element_at(*v, i).f));
    }
    return out;
}

Result<uint64_t> Metadata::get_array_size(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return not_found(fmt::format("key '{}' not found", key));
    if (v->type != ValueType::Array) return wrong_type(key, *v, "ARRAY");
    return v->array_count;
}

std::string Metadata::describe(const Value& value) {
    if (value.type != ValueType::Array) return describe_scalar(value);
    if (value.array_type == ValueType::String) {
        return fmt::format("[{} strings]", value.array_count);
    }
    if (value.array_count > kDescribeMaxElements) {
        return fmt::format("[{} {} values]", value.array_count, value_type_name(value.array_type));
    }
    std::string out = "[";
    for (uint64_t i = 0; i < value.array_count; ++i) {
        if (i > 0) out += ", ";
        out += describe_scalar(element_at(value, i));
    }
    out += ']';
    return out;
}

}  // namespace glmserve::gguf
