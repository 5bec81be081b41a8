// The ggml tensor types a GGUF file may name, with their block geometry.
//
// This is part of the file format: the reader needs block sizes to validate tensor byte sizes,
// the writer to lay tensors out. The arithmetic on the blocks (dequantize, dot products) lives
// in kernels/. Ids are ggml's own (../shared/reference/glm-gguf.md §2.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace glmserve::gguf {

enum class TensorType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
};

// One past the largest id above: tables indexed by type id use this size.
inline constexpr uint32_t kTensorTypeIdLimit = 31;

struct TensorTypeInfo {
    TensorType type;
    std::string_view name;  // "Q4_K", as ggml spells it
    int64_t block_size;     // elements per block
    int64_t block_bytes;    // bytes per block
    bool is_quantized;
};

// nullopt for ids this build does not know (retired or exotic types): the reader rejects them.
std::optional<TensorTypeInfo> tensor_type_info(uint32_t type_id);
const TensorTypeInfo& tensor_type_info(TensorType type);

std::string_view tensor_type_name(TensorType type);

// Case-insensitive: "q8_0", "Q8_0", "f16", ...
std::optional<TensorType> parse_tensor_type(std::string_view name);

// Bytes of one row of n_elements; InvalidArgument when n_elements is not a multiple of the
// block size or the product overflows.
Result<uint64_t> row_bytes(TensorType type, int64_t n_elements);

}  // namespace glmserve::gguf
