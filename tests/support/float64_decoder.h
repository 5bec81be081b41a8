// float64_logits: the accuracy oracle for the engine's forward pass.
//
// An independent forward pass of glm4 / chatglm / llama GGUF files with F32, F16 or BF16
// weights, written straight from the formulas of ../shared/reference/glm-gguf.md §3 with naive
// loops in double precision: no kernel table, no KV blocks, no batching. It shares nothing with
// src/model/ but the GGUF reader.
//
// It makes the two roundings the engine makes on purpose, as GGUF runtimes do, and nothing else:
// K and V are rounded to f16 when stored (the KV cache's type), and a matmul with F16 or BF16
// weights first rounds its input to that type (the weight's vec_dot_type). So the engine's
// distance from it is its float32 arithmetic error alone, which is what a test can bound.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "gguf/reader.h"

namespace glmserve::testing {

// Logits at every position of `tokens` fed from position 0: row-major [n_tokens][n_vocab].
// Errors (unsupported architecture or weight type, missing tensor, token out of range) say what.
Result<std::vector<double>> float64_logits(const gguf::GgufFile& file,
                                           std::span<const int32_t> tokens);

}  // namespace glmserve::testing
