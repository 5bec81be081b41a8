// CpuFeatures: the x86 SIMD extensions this CPU has and the OS has enabled.
//
// detect_cpu_features() reads cpuid (leaf 1 and leaf 7, subleaves 0 and 1) and, when the OS uses
// XSAVE, XCR0 via xgetbv: an extension is only usable when the CPU has it *and* the OS saves its
// registers (YMM state for AVX/AVX2, opmask and ZMM state for AVX-512). On non-x86 builds
// everything is false. `glmserve inspect` prints to_string(); dispatch.cpp picks a kernel table
// from it.
// Thread: detect_cpu_features() is pure (cpuid is read fresh each call; callers cache).
#pragma once

#include <string>

namespace glmserve::kernels {

struct CpuFeatures {
    // cpuid bits
    bool avx = false;
    bool avx2 = false;
    bool fma = false;
    bool f16c = false;
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512vnni = false;
    bool avx512bf16 = false;  // vdpbf16ps (leaf 7 subleaf 1): the avx512 table's BF16 dot products
    // XCR0: the OS saves YMM state (os_avx) and opmask + ZMM state (os_avx512).
    bool os_avx = false;
    bool os_avx512 = false;

    // What the avx2 kernels need: AVX2 + FMA + F16C with OS support.
    bool has_avx2_level() const;
    // What the avx512 kernels need: the avx2 level plus AVX-512 F/BW/VL/VNNI with OS support.
    bool has_avx512_level() const;

    // "avx2 fma f16c -avx512f ... os_avx -os_avx512": present flags bare, absent ones with '-'.
    std::string to_string() const;
};

CpuFeatures detect_cpu_features();

}  // namespace glmserve::kernels
