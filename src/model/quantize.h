// Re-encoding a model's weights into another tensor type (`glmserve quantize`).
//
// Which tensors change: 2-D (or more) `.weight` tensors that are not norms. Norms, biases and
// other 1-D tensors stay as they are (F32 in converted files), as GGUF quantizers do. A tensor
// whose rows do not divide into the target's blocks gets the usual fallback
// (storage_type_for). Already-quantized sources are dequantized, then re-encoded.
// Metadata is copied, with general.file_type updated.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/status.h"
#include "gguf/reader.h"
#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"

namespace glmserve::model {

struct QuantizeReport {
    int64_t n_tensors_converted = 0;
    int64_t n_tensors_kept = 0;
    int64_t n_tensors_fallback = 0;  // converted to a fallback type
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
};

Result<QuantizeReport> quantize_model(const gguf::GgufFile& input,
                                      const std::filesystem::path& output, gguf::TensorType type,
                                      const kernels::KernelTable& table, kernels::ThreadPool& pool);

}  // namespace glmserve::model
