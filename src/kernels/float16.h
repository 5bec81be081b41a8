// IEEE binary16 and bfloat16 conversions, bit-exact with ggml's scalar paths.
//
// f32 -> f16 rounds to nearest-even (and handles subnormals, inf, NaN); f32 -> bf16 rounds to
// nearest-even and keeps NaNs quiet (../shared/reference/glm-gguf.md §2.2).
#pragma once

#include <cstdint>

namespace glmserve::kernels {

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);

}  // namespace glmserve::kernels
