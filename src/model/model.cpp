#include "model/model.h"

namespace glmserve::model {

Result<std::shared_ptr<const Model>> Model::load(const std::filesystem::path& path,
                                                 const kernels::KernelTable& table) {
    GS_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::open(path));
    return from_file(std::move(file), table);
}

Result<std::shared_ptr<const Model>> Model::from_file(gguf::GgufFile file,
                                                      const kernels::KernelTable& table) {
    std::string warnings;
    GS_ASSIGN_OR_RETURN(HParams hp, read_hparams(file.metadata(), &warnings));
    GS_ASSIGN_OR_RETURN(ModelWeights weights, bind_weights(file, hp, table));
    // The weight views point into the mapping, which moves with the GgufFile's heap state,
    // so they stay valid when `file` moves into the Model.
    return std::shared_ptr<const Model>(
        new Model(std::move(file), hp, std::move(weights), std::move(warnings)));
}

}  // namespace glmserve::model
