// The ggml tensor type table (../shared/reference/glm-gguf.md §2.1) and its lookups.
//
// Only the types this build knows are in the table; every other id (retired ones such as 4 and
// 5, the IQ* family, I8..F64, TQ*, MXFP4, ...) has no entry, so the reader rejects a file that
// uses it instead of guessing its size.
#include "gguf/tensor_type.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>

namespace glmserve::gguf {
namespace {

constexpr TensorTypeInfo kKnownTypes[] = {
    {TensorType::F32, "F32", 1, 4, false},      {TensorType::F16, "F16", 1, 2, false},
    {TensorType::BF16, "BF16", 1, 2, false},    {TensorType::Q4_0, "Q4_0", 32, 18, true},
    {TensorType::Q4_1, "Q4_1", 32, 20, true},   {TensorType::Q5_0, "Q5_0", 32, 22, true},
    {TensorType::Q5_1, "Q5_1", 32, 24, true},   {TensorType::Q8_0, "Q8_0", 32, 34, true},
    {TensorType::Q8_1, "Q8_1", 32, 36, true},   {TensorType::Q2_K, "Q2_K", 256, 84, true},
    {TensorType::Q3_K, "Q3_K", 256, 110, true}, {TensorType::Q4_K, "Q4_K", 256, 144, true},
    {TensorType::Q5_K, "Q5_K", 256, 176, true}, {TensorType::Q6_K, "Q6_K", 256, 210, true},
    {TensorType::Q8_K, "Q8_K", 256, 292, true},
};

// Index by type id; nullptr where the id is unknown.
constexpr std::array<const TensorTypeInfo*, kTensorTypeIdLimit> make_index() {
    std::array<const TensorTypeInfo*, kTensorTypeIdLimit> index{};
    for (const TensorTypeInfo& info : kKnownTypes) {
        index[static_cast<uint32_t>(info.type)] = &info;
    }
    return index;
}
constexpr auto kIndex = make_index();

char to_upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::optional<TensorTypeInfo> tensor_type_info(uint32_t type_id) {
    if (type_id >= kTensorTypeIdLimit || kIndex[type_id] == nullptr) return std::nullopt;
    return *kIndex[type_id];
}

const TensorTypeInfo& tensor_type_info(TensorType type) {
    const auto id = static_cast<uint32_t>(type);
    // A TensorType value outside the enum can only come from a bad cast in our own code: files
    // go through the uint32_t overload above.
    GS_CHECK(id < kTensorTypeIdLimit && kIndex[id] != nullptr);
    return *kIndex[id];
}

std::string_view tensor_type_name(TensorType type) {
    return tensor_type_info(type).name;
}

std::optional<TensorType> parse_tensor_type(std::string_view name) {
    for (const TensorTypeInfo& info : kKnownTypes) {
        if (info.name.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i) {
            same = to_upper_ascii(name[i]) == info.name[i];
        }
        if (same) return info.type;
    }
    return std::nullopt;
}

Result<uint64_t> row_bytes(TensorType type, int64_t n_elements) {
    const TensorTypeInfo& info = tensor_type_info(type);
    if (n_elements < 0) {
        return invalid_argument(fmt::format("row of {} elements: count is negative", n_elements));
    }
    if (n_elements % info.block_size != 0) {
        return invalid_argument(
            fmt::format("row of {} elements is not a multiple of the {} block "
                        "size {}",
                        n_elements, info.name, info.block_size));
    }
    const int64_t n_blocks = n_elements / info.block_size;
    if (n_blocks > std::numeric_limits<int64_t>::max() / info.block_bytes) {
        return invalid_argument(
            fmt::format("row of {} {} elements: byte size overflows", n_elements, info.name));
    }
    return static_cast<uint64_t>(n_blocks * info.block_bytes);
}

}  // namespace glmserve::gguf
