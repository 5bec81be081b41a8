// Model: a loaded GGUF decoder — the mapped file, its hyper-parameters and bound weights.
//
// Weight matrices the kernel table has a packed layout for (kernels::TypeKernels::pack_rows)
// are copied into it at load, and the file pages they came from are released.
// Immutable once loaded and shared between threads as std::shared_ptr<const Model>
// (STYLE.md §4). Loading validates the file, the architecture and every tensor shape.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "gguf/reader.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace glmserve::model {

class Model {
public:
    static Result<std::shared_ptr<const Model>> load(const std::filesystem::path& path,
                                                     const kernels::KernelTable& table);
    // Takes ownership of an already opened file (tests build models in memory).
    static Result<std::shared_ptr<const Model>> from_file(gguf::GgufFile file,
                                                          const kernels::KernelTable& table);

    const gguf::GgufFile& file() const { return file_; }
    const HParams& hparams() const { return hparams_; }
    const ModelWeights& weights() const { return weights_; }
    const std::string& warnings() const { return warnings_; }

    // Bytes of tensor data the decoder reads (the mapped weights).
    uint64_t weight_bytes() const { return file_.tensor_data_bytes(); }
    // Of those, the bytes held as row-interleaved copies (their file pages are released).
    uint64_t packed_bytes() const { return packed_.bytes(); }

private:
    Model(gguf::GgufFile file, HParams hparams, ModelWeights weights, kernels::PackedWeights packed,
          std::string warnings)
        : file_(std::move(file)),
          hparams_(hparams),
          weights_(std::move(weights)),
          packed_(std::move(packed)),
          warnings_(std::move(warnings)) {}

    gguf::GgufFile file_;  // owns the mapping every WeightMatrix points into
    HParams hparams_;
    ModelWeights weights_;
    kernels::PackedWeights packed_;  // the packed copies some WeightMatrix views point into
    std::string warnings_;
};

}  // namespace glmserve::model
