// GgufWriter: builds a GGUF v3 file in the layout every reader accepts.
//
// Layout (../shared/reference/glm-gguf.md §6.3): little-endian, 64-bit counts, key/values in
// insertion order, tensor infos in insertion order, data section at the first `alignment`
// boundary after the infos, each tensor at the running sum of the previous sizes padded to
// `alignment` (default 32), the last one padded too.
// Used by make-model, quantize and the tests' tiny-model builders.
// Thread: single owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gguf/metadata.h"
#include "gguf/tensor_type.h"

namespace glmserve::gguf {

class GgufWriter {
public:
    GgufWriter() = default;

    void set_alignment(uint32_t alignment);  // power of two; also written as general.alignment
    // The alignment the layout uses: 32, or the last power-of-two UINT32 given for
    // general.alignment. (Other types or values for that key are written as given, which makes
    // a file readers reject: the tests use that to build corrupt files.)
    uint32_t alignment() const { return alignment_; }
    size_t n_entries() const { return entries_.size(); }
    size_t n_tensors() const { return tensors_.size(); }

    // Scalars. A second call with the same key replaces the value.
    void set_u8(std::string_view key, uint8_t v);
    void set_i8(std::string_view key, int8_t v);
    void set_u16(std::string_view key, uint16_t v);
    void set_i16(std::string_view key, int16_t v);
    void set_u32(std::string_view key, uint32_t v);
    void set_i32(std::string_view key, int32_t v);
    void set_u64(std::string_view key, uint64_t v);
    void set_i64(std::string_view key, int64_t v);
    void set_f32(std::string_view key, float v);
    void set_f64(std::string_view key, double v);
    void set_bool(std::string_view key, bool v);
    void set_string(std::string_view key, std::string_view v);
    // Arrays.
    void set_string_array(std::string_view key, std::span<const std::string> v);
    void set_i32_array(std::string_view key, std::span<const int32_t> v);
    void set_u32_array(std::string_view key, std::span<const uint32_t> v);
    void set_f32_array(std::string_view key, std::span<const float> v);
    // Copies every key of `source` except general.alignment (used by quantize).
    void copy_metadata(const Metadata& source);

    // Adds a tensor; `data` must hold exactly row_bytes(type, ne[0]) * rows bytes.
    // `ne` in ggml order, 1..4 dims, each > 0. The bytes are copied. InvalidArgument naming the
    // tensor when the name is empty, 64 bytes or longer, or already used, or the shape or the
    // data size is wrong. Metadata keys are not validated: the reader does that.
    Status add_tensor(std::string_view name, TensorType type, std::span<const int64_t> ne,
                      std::span<const uint8_t> data);

    // Serialises everything to memory, or to a file (written to a temporary name, then renamed,
    // so a crash never leaves a half-written model under the final name).
    std::vector<uint8_t> to_bytes() const;
    Status write(const std::filesystem::path& path) const;

private:
    struct Entry {
        std::string key;
        ValueType type;
        ValueType array_type;
        uint64_t array_count;
        std::vector<uint8_t> payload;  // encoded value bytes (after the type tag[s])
    };
    struct Tensor {
        std::string name;
        TensorType type;
        std::vector<int64_t> ne;
        std::vector<uint8_t> data;
    };
    void set_entry(Entry entry);
    // Header, key/values, tensor infos and the padding up to the data section; `offsets`
    // receives each tensor's offset inside the data section.
    std::vector<uint8_t> encode_head(std::vector<uint64_t>* offsets) const;

    uint32_t alignment_ = 32;
    std::vector<Entry> entries_;
    std::vector<Tensor> tensors_;
};

}  // namespace glmserve::gguf
