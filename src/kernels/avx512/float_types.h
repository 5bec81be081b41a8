// AVX-512 dot products for the unquantized types F32, F16 and BF16: vec_dot, vec_dot_rows and
// vec_dot_tile on 16-lane (512-bit) vectors, twice the AVX2 kernels' FMAs per instruction. The
// row converters stay the AVX2 ones.
//
// Guarantees, tested against kernels/ref/float_types.cpp as the AVX2 ones are: each product is
// formed exactly inside an FMA (BF16 with AVX512_BF16: a vdpbf16ps, whose bf16 products are exact
// too) and summed in float lanes (one 16-lane accumulator per pair, one instruction per 16 (32)
// elements in index order, the last partial vector zero-filled, a fixed horizontal sum), so vec_dot
// differs from ref by float summation rounding only, within the AVX2 kernels' bound; vec_dot_rows
// and vec_dot_tile equal this file's vec_dot bit for bit for every shape. They are not the AVX2
// kernels' bits (another summation order): a process uses one table throughout.
// Only called through the KernelTable; the CPU must have the avx512 level, which dispatch checks.
// Thread: pure functions over caller-owned buffers.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx512 {

// Overrides vec_dot, vec_dot_rows, vec_dot_tile and tile_tokens of F32, F16 and BF16 in t, and
// gives them a packed layout (pack_rows, vec_dot_packed; BF16 pairs also vec_dot_packed_pair)
// whose every lane equals vec_dot bit for bit.
// bf16_pairs: BF16 through vdpbf16ps (the CPU must have AVX512_BF16), else FMAs as F16.
void add_float_kernels(KernelTable& t, bool bf16_pairs);

}  // namespace glmserve::kernels::avx512

// The same source built for tests with SIMDe's portable AVX-512 instructions (see
// packed_vnni.h), where the loads are assembled from 256-bit halves: the arithmetic, and so
// every result, is the native kernels'.
namespace glmserve::kernels::avx512_emulated {

void add_float_kernels(KernelTable& t, bool bf16_pairs);

}  // namespace glmserve::kernels::avx512_emulated
