// GgufFile: parses and validates a GGUF file held in memory (a mapping or a private copy).
//
// The parse runs front to back with a ByteCursor, so every read is bounded by the bytes left.
// Counts read from the file are checked against the smallest possible size of their records
// before any loop runs, so a huge count fails at once and nothing is sized from it. Sizes are
// multiplied with overflow checks. Once all records are read, tensors are placed: the data
// section starts at the first `alignment` boundary after the infos, every tensor must lie
// inside the file, and after sorting by offset no tensor may reach into the next one.
// Unlike llama.cpp we do not require tensors to be stored contiguously in info order (a
// simplification of the check, not of safety: any non-overlapping in-bounds layout is fine).
// Every failure is a Status; nothing in here aborts on file contents.
#include "gguf/reader.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "common/mapped_file.h"
#include "gguf/byte_cursor.h"

namespace glmserve::gguf {

using detail::ByteCursor;
using detail::checked_add;
using detail::checked_mul;
using detail::printable;

namespace {

constexpr uint64_t kMaxStringBytes = uint64_t{1} << 30;  // llama.cpp's cap, glm-gguf.md §1.1
constexpr uint64_t kMaxArrayCount = uint64_t{1} << 30;
constexpr uint64_t kMaxTensorNameBytes = 63;  // ggml's 64-byte name buffer holds a NUL too
constexpr uint32_t kDefaultAlignment = 32;
constexpr std::string_view kAlignmentKey = "general.alignment";
// Smallest possible records: key length + 1 key byte + value type + a 1-byte value; name
// length + 1 name byte + n_dims + one dimension + type + offset.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;
constexpr uint32_t kValueTypeLimit = 13;  // ValueType ids are 0..12
// from_bytes copies into a buffer aligned like a page, as a mapping would be.
constexpr size_t kBufferAlignment = 4096;

struct AlignedDelete {
    void operator()(uint8_t* p) const { ::operator delete(p, std::align_val_t(kBufferAlignment)); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, AlignedDelete>;

uint64_t align_up(uint64_t x, uint64_t alignment) {
    return (x + alignment - 1) / alignment * alignment;  // callers keep x far below 2^63
}

struct Header {
    uint32_t version = 0;
    uint64_t n_tensors = 0;
    uint64_t n_kv = 0;
};

Status check_version(uint32_t version) {
    if (version == 2 || version == 3) return ok_status();
    // No endianness flag exists: a big-endian file shows up as a byte-swapped version whose
    // low 16 bits are zero (glm-gguf.md §1.4).
    if (version != 0 && (version & 0xFFFFu) == 0) {
        return invalid_argument(fmt::format(
            "big-endian GGUF file (version field reads 0x{:08x}); only little-endian files are "
            "supported",
            version));
    }
    return invalid_argument(
        fmt::format("unsupported GGUF version {} (supported: 2 and 3)", version));
}

Result<uint64_t> read_count(ByteCursor& cur, std::string_view what, uint64_t min_record_bytes) {
    GS_ASSIGN_OR_RETURN(const uint64_t n, cur.read<uint64_t>(what));
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return data_loss(fmt::format("{} {} is negative", what, static_cast<int64_t>(n)));
    }
    if (n > cur.remaining() / min_record_bytes) {
        return data_loss(
            fmt::format("{} {} is impossible: each record needs at least {} bytes "
                        "and only {} bytes follow",
                        what, n, min_record_bytes, cur.remaining()));
    }
    return n;
}

Result<Header> parse_header(ByteCursor& cur) {
    GS_ASSIGN_OR_RETURN(const auto magic, cur.bytes(4, "magic"));
    const std::string_view magic_text(reinterpret_cast<const char*>(magic.data()), 4);
    if (magic_text != "GGUF") {
        return data_loss(
            fmt::format("not a GGUF file: magic is '{}', expected 'GGUF'", printable(magic_text)));
    }
    Header h;
    GS_ASSIGN_OR_RETURN(h.version, cur.read<uint32_t>("version"));
    GS_RETURN_IF_ERROR(check_version(h.version));
    GS_ASSIGN_OR_RETURN(h.n_tensors, read_count(cur, "tensor_count", kMinTensorInfoBytes));
    GS_ASSIGN_OR_RETURN(h.n_kv, read_count(cur, "kv_count", kMinKvBytes));
    // Both sections follow: each count fits on its own, so this sum cannot overflow.
    if (h.n_tensors * kMinTensorInfoBytes + h.n_kv * kMinKvBytes > cur.remaining()) {
        return data_loss(
            fmt::format("tensor_count {} and kv_count {} need at least {} bytes, "
                        "only {} follow the header",
                        h.n_tensors, h.n_kv,
                        h.n_tensors * kMinTensorInfoBytes + h.n_kv * kMinKvBytes, cur.remaining()));
    }
    return h;
}

Result<ValueType> read_value_type(ByteCursor& cur, std::string_view what) {
    GS_ASSIGN_OR_RETURN(const uint32_t id, cur.read<uint32_t>(what));
    if (id >= kValueTypeLimit) {
        return data_loss(fmt::format("unknown {} {}", what, static_cast<int32_t>(id)));
    }
    return static_cast<ValueType>(id);
}

template <typename T, typename Dst>
Status read_into(ByteCursor& cur, Dst& dst, std::string_view what) {
    GS_ASSIGN_OR_RETURN(const T x, cur.read<T>(what));
    dst = static_cast<Dst>(x);  // NOLINT(bugprone-signed-char-misuse): INT8 sign-extends
    return ok_status();
}

Result<Value> read_scalar(ByteCursor& cur, ValueType type) {
    Value v;
    v.type = type;
    Status s;
    switch (type) {
        case ValueType::Uint8: s = read_into<uint8_t>(cur, v.u, "UINT8 value"); break;
        case ValueType::Int8: s = read_into<int8_t>(cur, v.i, "INT8 value"); break;
        case ValueType::Uint16: s = read_into<uint16_t>(cur, v.u, "UINT16 value"); break;
        case ValueType::Int16: s = read_into<int16_t>(cur, v.i, "INT16 value"); break;
        case ValueType::Uint32: s = read_into<uint32_t>(cur, v.u, "UINT32 value"); break;
        case ValueType::Int32: s = read_into<int32_t>(cur, v.i, "INT32 value"); break;
        case ValueType::Uint64: s = read_into<uint64_t>(cur, v.u, "UINT64 value"); break;
        case ValueType::Int64: s = read_into<int64_t>(cur, v.i, "INT64 value"); break;
        case ValueType::Float32: s = read_into<float>(cur, v.f, "FLOAT32 value"); break;
        case ValueType::Float64: s = read_into<double>(cur, v.f, "FLOAT64 value"); break;
        case ValueType::Bool:
            s = read_into<uint8_t>(cur, v.u, "BOOL value");
            v.u = v.u != 0 ? 1 : 0;  // 0 is false, anything else true (glm-gguf.md §1.2)
            break;
        case ValueType::String: {
            auto str = cur.string("STRING value", kMaxStringBytes);
            if (str.ok()) v.str = *str;
            s = str.status();
            break;
        }
        case ValueType::Array: s = internal_error("read_scalar called for an ARRAY"); break;
    }
    if (!s.ok()) return s;
    return v;
}

Status read_string_elements(ByteCursor& cur, Value& v) {
    // Each element carries at least its 8-byte length, so the count is bounded by the bytes
    // left before the vector is sized from it.
    if (v.array_count > cur.remaining() / 8) {
        return data_loss(fmt::format("array of {} strings needs at least {} bytes, only {} left",
                                     v.array_count, v.array_count * 8, cur.remaining()));
    }
    v.array_strings.reserve(v.array_count);
    for (uint64_t i = 0; i < v.array_count; ++i) {
        auto s = cur.string("array element", kMaxStringBytes);
        if (!s.ok()) return s.status().with_context(fmt::format("element {}", i));
        v.array_strings.push_back(*s);
    }
    return ok_status();
}

Result<Value> read_array(ByteCursor& cur) {
    Value v;
    v.type = ValueType::Array;
    GS_ASSIGN_OR_RETURN(v.array_type, read_value_type(cur, "array element type"));
    if (v.array_type == ValueType::Array) {
        return data_loss("arrays of arrays are not supported");
    }
    GS_ASSIGN_OR_RETURN(v.array_count, cur.read<uint64_t>("array count"));
    if (v.array_count > kMaxArrayCount) {
        return data_loss(
            fmt::format("array count {} exceeds the limit of {}", v.array_count, kMaxArrayCount));
    }
    if (v.array_type == ValueType::String) {
        GS_RETURN_IF_ERROR(read_string_elements(cur, v));
        return v;
    }
    uint64_t n_bytes = 0;
    if (!checked_mul(v.array_count, value_type_size(v.array_type), &n_bytes)) {
        return data_loss(fmt::format("array of {} elements: byte size overflows", v.array_count));
    }
    GS_ASSIGN_OR_RETURN(v.array_bytes, cur.bytes(n_bytes, "array elements"));
    return v;
}

Result<KeyValue> read_kv(ByteCursor& cur, uint64_t index,
                         std::unordered_set<std::string_view>& seen) {
    KeyValue kv;
    const std::string what = fmt::format("key #{}", index);
    GS_ASSIGN_OR_RETURN(kv.key, cur.string(what, kMaxStringBytes));
    if (kv.key.empty()) return data_loss(what + " is empty");
    if (!seen.insert(kv.key).second) {
        return data_loss(fmt::format("duplicate key '{}'", printable(kv.key)));
    }
    auto value = [&]() -> Result<Value> {
        GS_ASSIGN_OR_RETURN(const ValueType type, read_value_type(cur, "value type"));
        return type == ValueType::Array ? read_array(cur) : read_scalar(cur, type);
    }();
    if (!value.ok()) return value.status().with_context(fmt::format("key '{}'", printable(kv.key)));
    kv.value = std::move(value).value();
    return kv;
}

Result<Metadata> parse_metadata(ByteCursor& cur, uint64_t n_kv) {
    std::vector<KeyValue> entries;  // grows with what was really read, never from n_kv alone
    std::unordered_set<std::string_view> seen;
    for (uint64_t i = 0; i < n_kv; ++i) {
        GS_ASSIGN_OR_RETURN(KeyValue kv, read_kv(cur, i, seen));
        entries.push_back(std::move(kv));
    }
    return Metadata(std::move(entries));
}

Result<uint32_t> alignment_of(const Metadata& md) {
    const Value* v = md.find(kAlignmentKey);
    if (v == nullptr) return kDefaultAlignment;
    if (v->type != ValueType::Uint32) {
        return data_loss(
            fmt::format("key '{}' has type {}, expected UINT32", kAlignmentKey,
                        v->type == ValueType::Array ? "ARRAY" : value_type_name(v->type)));
    }
    if (v->u == 0 || (v->u & (v->u - 1)) != 0) {
        return data_loss(fmt::format("key '{}' is {}, not a power of two", kAlignmentKey, v->u));
    }
    return static_cast<uint32_t>(v->u);
}

// Reads n_dims and the dims; checks each dim and that the element count fits int64.
Status read_shape(ByteCursor& cur, TensorInfo& t) {
    GS_ASSIGN_OR_RETURN(const uint32_t n_dims, cur.read<uint32_t>("n_dims"));
    if (n_dims < 1 || n_dims > 4) {
        return data_loss(fmt::format("n_dims {} is outside 1..4", n_dims));
    }
    t.n_dims = static_cast<int>(n_dims);
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        GS_ASSIGN_OR_RETURN(t.ne[d], cur.read<int64_t>("dimension"));
        if (t.ne[d] <= 0) {
            return data_loss(fmt::format("ne[{}] is {}; dimensions must be > 0", d, t.ne[d]));
        }
        if (__builtin_mul_overflow(n_elements, t.ne[d], &n_elements)) {
            return data_loss(
                fmt::format("element count of shape {} overflows int64", t.shape_string()));
        }
    }
    return ok_status();
}

// Reads the type id and offset; derives n_bytes.
Status read_type_and_offset(ByteCursor& cur, TensorInfo& t, uint32_t alignment) {
    GS_ASSIGN_OR_RETURN(const uint32_t type_id, cur.read<uint32_t>("tensor type"));
    const auto info = tensor_type_info(type_id);
    if (!info) {
        return data_loss(
            fmt::format("unknown or unsupported tensor type id {}", static_cast<int32_t>(type_id)));
    }
    t.type = info->type;
    if (t.ne[0] % info->block_size != 0) {
        return data_loss(fmt::format("ne[0] = {} is not a multiple of the {} block size {}",
                                     t.ne[0], info->name, info->block_size));
    }
    const auto row = row_bytes(t.type, t.ne[0]);
    if (!row.ok() || !checked_mul(*row, static_cast<uint64_t>(t.n_rows()), &t.n_bytes)) {
        return data_loss(fmt::format("byte size of shape {} overflows", t.shape_string()));
    }
    GS_ASSIGN_OR_RETURN(t.offset, cur.read<uint64_t>("tensor offset"));
    if (t.offset % alignment != 0) {
        return data_loss(
            fmt::format("offset {} is not a multiple of the alignment {}", t.offset, alignment));
    }
    return ok_status();
}

Result<TensorInfo> read_tensor_info(ByteCursor& cur, uint64_t index, uint32_t alignment,
                                    std::unordered_set<std::string_view>& seen) {
    TensorInfo t;
    const std::string what = fmt::format("tensor #{} name", index);
    GS_ASSIGN_OR_RETURN(t.name, cur.string(what, kMaxStringBytes));
    if (t.name.empty()) return data_loss(what + " is empty");
    if (t.name.size() > kMaxTensorNameBytes) {
        return data_loss(fmt::format("{} '{}' is {} bytes; names must be shorter than {} bytes",
                                     what, printable(t.name), t.name.size(),
                                     kMaxTensorNameBytes + 1));
    }
    if (!seen.insert(t.name).second) {
        return data_loss(fmt::format("duplicate tensor name '{}'", printable(t.name)));
    }
    Status s = read_shape(cur, t);
    if (s.ok()) s = read_type_and_offset(cur, t, alignment);
    if (!s.ok()) return s.with_context(fmt::format("tensor '{}'", printable(t.name)));
    return t;
}

// Points every tensor at its bytes, checking bounds, then checks for overlaps.
Status place_tensors(std::span<const uint8_t> file, uint64_t data_offset,
                     std::vector<TensorInfo>& tensors) {
    const uint64_t size = file.size();
    for (TensorInfo& t : tensors) {
        uint64_t begin = 0;
        uint64_t end = 0;
        if (!checked_add(data_offset, t.offset, &begin) || !checked_add(begin, t.n_bytes, &end)) {
            return data_loss(fmt::format("tensor '{}': offset {} + {} bytes overflows",
                                         printable(t.name), t.offset, t.n_bytes));
        }
        if (end > size) {
            return data_loss(
                fmt::format("tensor '{}': data [{}, {}) lies outside the file (size "
                            "{})",
                            printable(t.name), begin, end, size));
        }
        t.data = file.subspan(begin, t.n_bytes);
    }
    std::vector<const TensorInfo*> by_offset;
    by_offset.reserve(tensors.size());
    for (const TensorInfo& t : tensors) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const TensorInfo& a = *by_offset[i - 1];
        const TensorInfo& b = *by_offset[i];
        if (a.offset + a.n_bytes > b.offset) {  // in bounds above, so no overflow
            return data_loss(fmt::format("tensors '{}' [{}, {}) and '{}' [{}, {}) overlap",
                                         printable(a.name), a.offset, a.offset + a.n_bytes,
                                         printable(b.name), b.offset, b.offset + b.n_bytes));
        }
    }
    return ok_status();
}

}  // namespace

struct GgufFile::State {
    // Exactly one of these holds the bytes every view below points into.
    MappedFile mapping;
    AlignedBuffer buffer;
    std::span<const uint8_t> bytes;

    std::string path;
    uint32_t version = 0;
    uint32_t alignment = kDefaultAlignment;
    Metadata metadata;
    std::vector<TensorInfo> tensors;
    std::unordered_map<std::string_view, size_t> tensor_index;  // name -> index in tensors
    uint64_t data_offset = 0;
    uint64_t tensor_data_bytes = 0;

    Status parse();
};

Status GgufFile::State::parse() {
    ByteCursor cur(bytes);
    GS_ASSIGN_OR_RETURN(const Header h, parse_header(cur));
    version = h.version;
    GS_ASSIGN_OR_RETURN(metadata, parse_metadata(cur, h.n_kv));
    GS_ASSIGN_OR_RETURN(alignment, alignment_of(metadata));
    // The header check bounded n_kv and n_tensors together, but strings may have used the
    // bytes since; check the tensor count again before the loop.
    if (h.n_tensors > cur.remaining() / kMinTensorInfoBytes) {
        return data_loss(
            fmt::format("tensor_count {} is impossible: only {} bytes follow the "
                        "key/values",
                        h.n_tensors, cur.remaining()));
    }
    std::unordered_set<std::string_view> seen;
    for (uint64_t i = 0; i < h.n_tensors; ++i) {
        GS_ASSIGN_OR_RETURN(TensorInfo t, read_tensor_info(cur, i, alignment, seen));
        tensors.push_back(t);
    }
    data_offset = align_up(cur.offset(), alignment);
    if (!tensors.empty() && data_offset > bytes.size()) {
        return data_loss(
            fmt::format("tensor data section would start at {}, past the end of the "
                        "file (size {})",
                        data_offset, bytes.size()));
    }
    data_offset = std::min<uint64_t>(data_offset, bytes.size());
    GS_RETURN_IF_ERROR(place_tensors(bytes, data_offset, tensors));
    tensor_index.reserve(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        tensor_index.emplace(tensors[i].name, i);
        tensor_data_bytes += tensors[i].n_bytes;
    }
    return ok_status();
}

std::string TensorInfo::shape_string() const {
    std::string out = "[";
    for (int d = 0; d < n_dims && d < 4; ++d) {
        if (d > 0) out += ", ";
        out += fmt::format("{}", ne[d]);
    }
    out += ']';
    return out;
}

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
    GS_ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::open(path));
    auto state = std::make_unique<State>();
    state->mapping = std::move(mapping);
    state->bytes = state->mapping.bytes();
    state->path = path.string();
    const Status s = state->parse();
    if (!s.ok()) return s.with_context(state->path);
    return GgufFile(std::move(state));
}

Result<GgufFile> GgufFile::from_bytes(std::span<const uint8_t> bytes) {
    auto state = std::make_unique<State>();
    if (!bytes.empty()) {
        void* p = ::operator new(bytes.size(), std::align_val_t(kBufferAlignment), std::nothrow);
        if (p == nullptr) {
            return resource_exhausted(fmt::format("cannot copy {} bytes of GGUF", bytes.size()));
        }
        state->buffer.reset(static_cast<uint8_t*>(p));
        std::memcpy(p, bytes.data(), bytes.size());
        state->bytes = {state->buffer.get(), bytes.size()};
    }
    state->path = "<memory>";
    GS_RETURN_IF_ERROR(state->parse());
    return GgufFile(std::move(state));
}

GgufFile::GgufFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

void GgufFile::release_pages(std::span<const uint8_t> range) const {
    if (state_->mapping.size() == 0 || range.empty()) return;
    const std::span<const uint8_t> all = state_->bytes;
    if (range.data() < all.data() || range.data() + range.size() > all.data() + all.size()) return;
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<uintptr_t>(range.data());
    const uintptr_t first = (begin + page - 1) / page * page;
    const uintptr_t last = (begin + range.size()) / page * page;
    if (last <= first) return;
    // Advice only: failure changes memory use, never results, so it is ignored.
    (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

uint32_t GgufFile::version() const {
    return state_->version;
}
uint32_t GgufFile::alignment() const {
    return state_->alignment;
}
const Metadata& GgufFile::metadata() const {
    return state_->metadata;
}
std::span<const TensorInfo> GgufFile::tensors() const {
    return state_->tensors;
}
uint64_t GgufFile::file_bytes() const {
    return state_->bytes.size();
}
uint64_t GgufFile::data_offset() const {
    return state_->data_offset;
}
uint64_t GgufFile::tensor_data_bytes() const {
    return state_->tensor_data_bytes;
}
const std::string& GgufFile::path() const {
    return state_->path;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
    const auto it = state_->tensor_index.find(name);
    return it == state_->tensor_index.end() ? nullptr : &state_->tensors[it->second];
}

}  // namespace glmserve::gguf
