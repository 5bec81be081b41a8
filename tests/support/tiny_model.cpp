#include "support/tiny_model.h"

#include <cstdio>

#include "gguf/writer.h"
#include "kernels/kernel_table.h"

namespace glmserve::testing {

model::RandomModelSpec tiny_spec(model::Arch arch) {
    model::RandomModelSpec s;
    s.arch = arch;
    s.n_vocab = 300;
    s.n_embd = 64;
    s.n_layer = 2;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = 96;
    s.n_ctx = 512;
    s.seed = 7;
    return s;
}

std::shared_ptr<const model::Model> make_tiny_model(const model::RandomModelSpec& spec) {
    gguf::GgufWriter writer;
    Status s = model::add_random_model(spec, kernels::ref_kernels(), writer);
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.to_string().c_str());
    GS_CHECK(s.ok());
    auto file = gguf::GgufFile::from_bytes(writer.to_bytes());
    if (!file.ok()) std::fprintf(stderr, "%s\n", file.status().to_string().c_str());
    GS_CHECK(file.ok());
    auto m = model::Model::from_file(std::move(file).value(), kernels::ref_kernels());
    if (!m.ok()) std::fprintf(stderr, "%s\n", m.status().to_string().c_str());
    GS_CHECK(m.ok());
    return m.value();
}

}  // namespace glmserve::testing
