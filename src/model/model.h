// Model: a loaded GGUF decoder — the mapped file, its hyper-parameters and bound weights.
//
// Immutable once loaded and shared between threads as std::shared_ptr<const Model>
// (STYLE.md §4). Loading validates the file, the architecture and every tensor shape.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "gguf/reader.h"
#include "kernels/kernel_table.h"
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

private:
    Model(gguf::GgufFile file, HParams hparams, ModelWeights weights, std::string warnings)
        : file_(std::move(file)),
          hparams_(hparams),
          weights_(std::move(weights)),
          warnings_(std::move(warnings)) {}

    gguf::GgufFile file_;  // owns the mapping every WeightMatrix points into
    HParams hparams_;
    ModelWeights weights_;
    std::string warnings_;
};

}  // namespace glmserve::model
