// GgufFile: a validated, memory-mapped GGUF model or vocabulary file.
//
// open() maps the file read-only and validates everything before anything else may use it:
// magic, version (2 or 3, little-endian only), counts, every string and array length against
// the bytes left, overflow-checked sizes, alignment (a power of two), known tensor types, dims
// in 1..4 and each > 0, row sizes divisible by the type's block size, tensor offsets aligned
// and inside the data section, no two tensors overlapping, unique names and keys. A hostile or
// truncated file gives DataLoss (or InvalidArgument for unsupported versions) with a message
// naming the problem and, where there is one, the key or tensor. Never a crash.
//
// Tensor data stays in the mapping; TensorInfo::data views it. Metadata views point into the
// mapping too, so a GgufFile must outlive anything it handed out.
// Thread: immutable after open(); safe to read from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gguf/metadata.h"
#include "gguf/tensor_type.h"

namespace glmserve::gguf {

struct TensorInfo {
    std::string_view name;
    TensorType type = TensorType::F32;
    int n_dims = 0;
    int64_t ne[4] = {1, 1, 1, 1};  // ggml order: ne[0] is the contiguous dimension
    uint64_t offset = 0;           // relative to the data section
    uint64_t n_bytes = 0;
    std::span<const uint8_t> data;  // view into the mapping (owner: GgufFile)

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    uint64_t row_bytes() const { return n_rows() > 0 ? n_bytes / uint64_t(n_rows()) : 0; }
    std::string shape_string() const;  // "[4096, 151552]"
};

class GgufFile {
public:
    // Maps and validates a file.
    static Result<GgufFile> open(const std::filesystem::path& path);
    // Validates bytes already in memory (fuzzing, tests). The bytes are copied.
    static Result<GgufFile> from_bytes(std::span<const uint8_t> bytes);

    GgufFile(GgufFile&&) noexcept;
    GgufFile& operator=(GgufFile&&) noexcept;
    ~GgufFile();

    uint32_t version() const;
    uint32_t alignment() const;
    const Metadata& metadata() const;
    std::span<const TensorInfo> tensors() const;
    const TensorInfo* find_tensor(std::string_view name) const;  // nullptr when absent

    uint64_t file_bytes() const;         // size of the mapping
    uint64_t data_offset() const;        // where the tensor data section starts in the file
    uint64_t tensor_data_bytes() const;  // sum of tensor sizes
    const std::string& path() const;     // "<memory>" for from_bytes

    // Says that this process will not read `range` (bytes of this file) again soon: the whole
    // pages inside it leave the resident set, and are read back from the file if touched. For a
    // weight whose packed copy replaced it, so memory holds one copy. No-op for from_bytes
    // (a heap copy would be lost, not re-read).
    void release_pages(std::span<const uint8_t> range) const;

private:
    struct State;
    explicit GgufFile(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace glmserve::gguf
