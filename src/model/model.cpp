#include "model/model.h"

#include <cstdlib>
#include <string_view>

namespace glmserve::model {

Result<std::shared_ptr<const Model>> Model::load(const std::filesystem::path& path,
                                                 const kernels::KernelTable& table) {
    GS_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::open(path));
    return from_file(std::move(file), table);
}

namespace {

// Packs every matrix the table has a packed layout for, and releases the file pages of those
// whose original rows the decoder no longer reads. Rows past the last whole group, and the
// embedding rows of a tied output, are still read from the file.
kernels::PackedWeights pack_matrices(const gguf::GgufFile& file, ModelWeights& weights,
                                     const kernels::KernelTable& table) {
    kernels::PackedWeights packed;
    // GLMSERVE_PACKED_WEIGHTS=0 keeps every matrix row-major: the same results, for measuring
    // what the packed kernels gain on one machine in one session.
    if (const char* env = std::getenv("GLMSERVE_PACKED_WEIGHTS");
        env != nullptr && std::string_view(env) == "0") {
        return packed;
    }
    const auto pack = [&](kernels::WeightMatrix& w, bool release) {
        if (w.data == nullptr || !packed.pack(table, w)) return;
        if (!release) return;
        const uint64_t packed_rows =
            static_cast<uint64_t>(w.n_out / kernels::kPackRows) * kernels::kPackRows;
        file.release_pages({static_cast<const uint8_t*>(w.data), packed_rows * w.row_bytes});
    };
    for (LayerWeights& l : weights.layers) {
        for (kernels::WeightMatrix* w :
             {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.ffn_up, &l.ffn_gate, &l.ffn_down}) {
            pack(*w, true);
        }
    }
    pack(weights.output, !weights.knobs.tied_output);  // tied: token_embd reads the same rows
    return packed;
}

}  // namespace

Result<std::shared_ptr<const Model>> Model::from_file(gguf::GgufFile file,
                                                      const kernels::KernelTable& table) {
    std::string warnings;
    GS_ASSIGN_OR_RETURN(HParams hp, read_hparams(file.metadata(), &warnings));
    GS_ASSIGN_OR_RETURN(ModelWeights weights, bind_weights(file, hp, table));
    kernels::PackedWeights packed = pack_matrices(file, weights, table);
    // The weight views point into the mapping, which moves with the GgufFile's heap state, and
    // into the packed buffers, which move with `packed`, so they stay valid in the Model.
    return std::shared_ptr<const Model>(
        new Model(std::move(file), hp, std::move(weights), std::move(packed), std::move(warnings)));
}

}  // namespace glmserve::model
