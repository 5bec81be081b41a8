// GgufWriter: encodes key/values and tensors into the GGUF v3 layout (see writer.h).
//
// The header, key/values and tensor infos are small and are built in memory; tensor data is
// streamed after them. write() goes to "<path>.tmp.<pid>" in the same directory, fsyncs and
// renames, so readers never see a half-written file under the final name. The host must be
// little-endian (the reader's byte_cursor.h asserts it), so values are copied as they are.
#include "gguf/writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "common/mapped_file.h"

namespace glmserve::gguf {
namespace {

constexpr uint32_t kVersion = 3;
constexpr std::string_view kAlignmentKey = "general.alignment";
constexpr size_t kMaxTensorNameBytes = 63;

// Appends raw bytes. (resize + memcpy rather than vector::insert, on which g++ 12 -O2 gives a
// false -Wstringop-overflow for one-byte ranges.)
void put_bytes(std::vector<uint8_t>& out, const void* p, size_t n) {
    if (n == 0) return;
    const size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n);
}

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
    put_bytes(out, &v, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
    put<uint64_t>(out, s.size());
    put_bytes(out, s.data(), s.size());
}

template <typename T>
std::vector<uint8_t> encode(T v) {
    std::vector<uint8_t> out;
    put(out, v);
    return out;
}

template <typename T>
std::vector<uint8_t> encode_packed(std::span<const T> v) {
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    return std::vector<uint8_t>(p, p + v.size_bytes());
}

uint64_t padding_for(uint64_t n, uint64_t alignment) {
    return (alignment - n % alignment) % alignment;
}

bool is_power_of_two(uint64_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

// The encoded bytes of a scalar Value of the metadata model.
std::vector<uint8_t> encode_scalar(const Value& v) {
    switch (v.type) {
        case ValueType::Uint8: return encode(static_cast<uint8_t>(v.u));
        case ValueType::Int8: return encode(static_cast<int8_t>(v.i));
        case ValueType::Uint16: return encode(static_cast<uint16_t>(v.u));
        case ValueType::Int16: return encode(static_cast<int16_t>(v.i));
        case ValueType::Uint32: return encode(static_cast<uint32_t>(v.u));
        case ValueType::Int32: return encode(static_cast<int32_t>(v.i));
        case ValueType::Uint64: return encode(v.u);
        case ValueType::Int64: return encode(v.i);
        case ValueType::Float32: return encode(static_cast<float>(v.f));
        case ValueType::Float64: return encode(v.f);
        case ValueType::Bool: return encode(static_cast<uint8_t>(v.u != 0 ? 1 : 0));
        case ValueType::String: {
            std::vector<uint8_t> out;
            put_string(out, v.str);
            return out;
        }
        case ValueType::Array: break;
    }
    return {};
}

// Writes all of `bytes`, retrying short writes and EINTR.
Status write_all(int fd, std::span<const uint8_t> bytes, const std::filesystem::path& path) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_status(errno, "write", path);
        }
        bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return ok_status();
}

Status write_zeros(int fd, uint64_t n, const std::filesystem::path& path) {
    static constexpr uint8_t kZeros[4096] = {};
    while (n > 0) {
        const uint64_t chunk = std::min<uint64_t>(n, sizeof(kZeros));
        GS_RETURN_IF_ERROR(write_all(fd, {kZeros, chunk}, path));
        n -= chunk;
    }
    return ok_status();
}

// Removes the temporary file unless disarmed (after the rename).
class TempFileGuard {
public:
    explicit TempFileGuard(std::filesystem::path path) : path_(std::move(path)) {}
    TempFileGuard(const TempFileGuard&) = delete;
    TempFileGuard& operator=(const TempFileGuard&) = delete;
    ~TempFileGuard() {
        if (armed_) ::unlink(path_.c_str());
    }
    void disarm() { armed_ = false; }

private:
    std::filesystem::path path_;
    bool armed_ = true;
};

}  // namespace

void GgufWriter::set_alignment(uint32_t alignment) {
    // The value comes from our own code or an already validated option, never from a file.
    GS_CHECK(is_power_of_two(alignment));
    set_u32(kAlignmentKey, alignment);
}

void GgufWriter::set_entry(Entry entry) {
    if (entry.key == kAlignmentKey && entry.type == ValueType::Uint32) {
        uint32_t a = 0;
        std::memcpy(&a, entry.payload.data(), sizeof(a));
        if (is_power_of_two(a)) alignment_ = a;
    }
    for (Entry& e : entries_) {
        if (e.key == entry.key) {
            e = std::move(entry);
            return;
        }
    }
    entries_.push_back(std::move(entry));
}

void GgufWriter::set_u8(std::string_view key, uint8_t v) {
    set_entry({std::string(key), ValueType::Uint8, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_i8(std::string_view key, int8_t v) {
    set_entry({std::string(key), ValueType::Int8, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_u16(std::string_view key, uint16_t v) {
    set_entry({std::string(key), ValueType::Uint16, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_i16(std::string_view key, int16_t v) {
    set_entry({std::string(key), ValueType::Int16, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_u32(std::string_view key, uint32_t v) {
    set_entry({std::string(key), ValueType::Uint32, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_i32(std::string_view key, int32_t v) {
    set_entry({std::string(key), ValueType::Int32, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_u64(std::string_view key, uint64_t v) {
    set_entry({std::string(key), ValueType::Uint64, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_i64(std::string_view key, int64_t v) {
    set_entry({std::string(key), ValueType::Int64, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_f32(std::string_view key, float v) {
    set_entry({std::string(key), ValueType::Float32, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_f64(std::string_view key, double v) {
    set_entry({std::string(key), ValueType::Float64, ValueType::Uint8, 0, encode(v)});
}
void GgufWriter::set_bool(std::string_view key, bool v) {
    set_entry({std::string(key), ValueType::Bool, ValueType::Uint8, 0,
               encode(static_cast<uint8_t>(v ? 1 : 0))});
}
void GgufWriter::set_string(std::string_view key, std::string_view v) {
    std::vector<uint8_t> payload;
    put_string(payload, v);
    set_entry({std::string(key), ValueType::String, ValueType::Uint8, 0, std::move(payload)});
}

void GgufWriter::set_string_array(std::string_view key, std::span<const std::string> v) {
    std::vector<uint8_t> payload;
    for (const std::string& s : v) put_string(payload, s);
    set_entry(
        {std::string(key), ValueType::Array, ValueType::String, v.size(), std::move(payload)});
}
void GgufWriter::set_i32_array(std::string_view key, std::span<const int32_t> v) {
    set_entry({std::string(key), ValueType::Array, ValueType::Int32, v.size(), encode_packed(v)});
}
void GgufWriter::set_u32_array(std::string_view key, std::span<const uint32_t> v) {
    set_entry({std::string(key), ValueType::Array, ValueType::Uint32, v.size(), encode_packed(v)});
}
void GgufWriter::set_f32_array(std::string_view key, std::span<const float> v) {
    set_entry({std::string(key), ValueType::Array, ValueType::Float32, v.size(), encode_packed(v)});
}

void GgufWriter::copy_metadata(const Metadata& source) {
    for (const KeyValue& kv : source.entries()) {
        if (kv.key == kAlignmentKey) continue;
        const Value& v = kv.value;
        if (v.type != ValueType::Array) {
            set_entry({std::string(kv.key), v.type, ValueType::Uint8, 0, encode_scalar(v)});
            continue;
        }
        std::vector<uint8_t> payload;
        if (v.array_type == ValueType::String) {
            for (std::string_view s : v.array_strings) put_string(payload, s);
        } else {
            payload.assign(v.array_bytes.begin(), v.array_bytes.end());
        }
        set_entry({std::string(kv.key), ValueType::Array, v.array_type, v.array_count,
                   std::move(payload)});
    }
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::span<const int64_t> ne,
                              std::span<const uint8_t> data) {
    const auto fail = [&](std::string_view why) {
        return invalid_argument(fmt::format("tensor '{}': {}", name, why));
    };
    if (name.empty()) return invalid_argument("tensor name is empty");
    if (name.size() > kMaxTensorNameBytes) return fail("name must be shorter than 64 bytes");
    for (const Tensor& t : tensors_) {
        if (t.name == name) return fail("name already used");
    }
    if (ne.empty() || ne.size() > 4) return fail(fmt::format("{} dims; expected 1..4", ne.size()));
    int64_t n_rows = 1;
    for (size_t d = 0; d < ne.size(); ++d) {
        if (ne[d] <= 0) return fail(fmt::format("ne[{}] = {} must be > 0", d, ne[d]));
        if (d > 0 && __builtin_mul_overflow(n_rows, ne[d], &n_rows)) {
            return fail("row count overflows");
        }
    }
    const auto row = row_bytes(type, ne[0]);
    if (!row.ok()) return row.status().with_context(fmt::format("tensor '{}'", name));
    uint64_t n_bytes = 0;
    if (__builtin_mul_overflow(*row, static_cast<uint64_t>(n_rows), &n_bytes)) {
        return fail("byte size overflows");
    }
    if (data.size() != n_bytes) {
        return fail(fmt::format("{} data bytes given, shape needs {}", data.size(), n_bytes));
    }
    tensors_.push_back({std::string(name), type, std::vector<int64_t>(ne.begin(), ne.end()),
                        std::vector<uint8_t>(data.begin(), data.end())});
    return ok_status();
}

std::vector<uint8_t> GgufWriter::encode_head(std::vector<uint64_t>* offsets) const {
    std::vector<uint8_t> out;
    put_bytes(out, "GGUF", 4);
    put<uint32_t>(out, kVersion);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, entries_.size());
    for (const Entry& e : entries_) {
        put_string(out, e.key);
        put<uint32_t>(out, static_cast<uint32_t>(e.type));
        if (e.type == ValueType::Array) {
            put<uint32_t>(out, static_cast<uint32_t>(e.array_type));
            put<uint64_t>(out, e.array_count);
        }
        out.insert(out.end(), e.payload.begin(), e.payload.end());
    }
    offsets->clear();
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
        put_string(out, t.name);
        put<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
        for (int64_t n : t.ne) put<int64_t>(out, n);
        put<uint32_t>(out, static_cast<uint32_t>(t.type));
        put<uint64_t>(out, offset);
        offsets->push_back(offset);
        offset += t.data.size() + padding_for(t.data.size(), alignment_);
    }
    if (!tensors_.empty()) out.resize(out.size() + padding_for(out.size(), alignment_), 0);
    return out;
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
    std::vector<uint64_t> offsets;
    std::vector<uint8_t> out = encode_head(&offsets);
    for (const Tensor& t : tensors_) {
        out.insert(out.end(), t.data.begin(), t.data.end());
        out.resize(out.size() + padding_for(t.data.size(), alignment_), 0);
    }
    return out;
}

Status GgufWriter::write(const std::filesystem::path& path) const {
    std::filesystem::path tmp = path;
    tmp += fmt::format(".tmp.{}", ::getpid());
    ::unlink(tmp.c_str());  // a leftover of an earlier crashed run with the same pid
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return errno_status(errno, "create", tmp);
    TempFileGuard guard(tmp);

    std::vector<uint64_t> offsets;
    GS_RETURN_IF_ERROR(write_all(fd.get(), encode_head(&offsets), tmp));
    for (const Tensor& t : tensors_) {
        GS_RETURN_IF_ERROR(write_all(fd.get(), t.data, tmp));
        GS_RETURN_IF_ERROR(write_zeros(fd.get(), padding_for(t.data.size(), alignment_), tmp));
    }
    if (::fsync(fd.get()) != 0) return errno_status(errno, "fsync", tmp);
    if (::close(fd.release()) != 0) return errno_status(errno, "close", tmp);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_status(errno, "rename", path);
    guard.disarm();
    return ok_status();
}

}  // namespace glmserve::gguf
