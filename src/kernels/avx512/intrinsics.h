// The AVX-512 intrinsics for the kernels in this folder, native or emulated, and the namespace
// their definitions go in: each .cpp here is built twice, for the kernel table with the avx512
// flags (namespace avx512), and for the kernels test with GLMSERVE_EMULATE_AVX512, where SIMDe's
// portable intrinsics stand in for the AVX-512 ones (namespace avx512_emulated), so that CPUs
// without AVX-512 check the same arithmetic. Include first, and only from those files.
#pragma once

#include <cstdint>

#if defined(GLMSERVE_EMULATE_AVX512)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#define GLMSERVE_AVX512_NAMESPACE avx512_emulated
#else
// GCC 12 warns that the "undefined" passthrough vectors inside the unmasked AVX-512 intrinsics
// are used uninitialized (GCC bug 105593, fixed in 13); they are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define GLMSERVE_AVX512_NAMESPACE avx512
#endif

namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE {
namespace {

// Two 8-lane vectors as one of 16 lanes, `low` in lanes 0-7. SIMDe lacks several 512-bit
// conversions (half and int to float, 16-bit widening); the emulated build does them on halves
// with AVX2 and joins the results, which are the same exact conversions.
inline __m512 join(__m256 low, __m256 high) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(low), high, 1);
}

inline __m512i join(__m256i low, __m256i high) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

// 16 f16 at p (any alignment) -> 16 floats, exactly.
inline __m512 load_f16x16(const uint16_t* p) {
#if defined(GLMSERVE_EMULATE_AVX512)
    const auto half = [](const uint16_t* q) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    };
    return join(half(p), half(p + 8));
#else
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
#endif
}

}  // namespace
}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
