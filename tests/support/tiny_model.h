// Tiny in-memory models for tests: the same code as `glmserve make-model`
// (model::add_random_model), written to bytes and opened without touching the disk.
#pragma once

#include <memory>

#include "model/model.h"
#include "model/random_model.h"

namespace glmserve::testing {

// A small glm4 spec (n_embd 64, 2 layers, 4 heads / 2 KV heads, n_ff 96, vocab 300).
model::RandomModelSpec tiny_spec(model::Arch arch = model::Arch::Glm4);

// Builds the model with the reference kernels; GS_CHECKs success (test helper).
std::shared_ptr<const model::Model> make_tiny_model(const model::RandomModelSpec& spec);

}  // namespace glmserve::testing
