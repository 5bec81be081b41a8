// cpuid / XGETBV feature detection (see cpu_features.h).
//
// Bits (Intel SDM vol. 2A, CPUID): leaf 1 ECX: FMA 12, OSXSAVE 27, AVX 28, F16C 29.
// Leaf 7 sub-leaf 0 EBX: AVX2 5, AVX512F 16, AVX512BW 30, AVX512VL 31; ECX: AVX512_VNNI 11.
// XCR0: SSE 1 and AVX 2 (YMM) for AVX; opmask 5, ZMM_Hi256 6, Hi16_ZMM 7 for AVX-512.
// xgetbv is issued as inline asm so this file needs no ISA flags (STYLE.md §6).
// Thread: pure.
#include "kernels/cpu_features.h"

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GS_KERNELS_X86 1
#endif

namespace glmserve::kernels {

namespace {

[[maybe_unused]] bool bit(uint32_t reg, int index) {
    return ((reg >> index) & 1u) != 0;
}

#ifdef GS_KERNELS_X86
constexpr uint64_t kXcr0Avx = 0x6;      // SSE + YMM state
constexpr uint64_t kXcr0Avx512 = 0xE6;  // SSE + YMM + opmask + ZMM_Hi256 + Hi16_ZMM

uint64_t read_xcr0() {
    uint32_t eax = 0;
    uint32_t edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

void append_flag(std::string& out, const char* name, bool present) {
    if (!out.empty()) out += ' ';
    if (!present) out += '-';
    out += name;
}

}  // namespace

bool CpuFeatures::has_avx2_level() const {
    return avx && avx2 && fma && f16c && os_avx;
}

bool CpuFeatures::has_avx512_level() const {
    return has_avx2_level() && avx512f && avx512bw && avx512vl && avx512vnni && os_avx512;
}

std::string CpuFeatures::to_string() const {
    std::string out;
    append_flag(out, "avx", avx);
    append_flag(out, "avx2", avx2);
    append_flag(out, "fma", fma);
    append_flag(out, "f16c", f16c);
    append_flag(out, "avx512f", avx512f);
    append_flag(out, "avx512bw", avx512bw);
    append_flag(out, "avx512vl", avx512vl);
    append_flag(out, "avx512vnni", avx512vnni);
    append_flag(out, "avx512bf16", avx512bf16);
    append_flag(out, "os_avx", os_avx);
    append_flag(out, "os_avx512", os_avx512);
    return out;
}

CpuFeatures detect_cpu_features() {
    CpuFeatures f;
#ifdef GS_KERNELS_X86
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return f;
    f.fma = bit(ecx, 12);
    f.avx = bit(ecx, 28);
    f.f16c = bit(ecx, 29);
    if (bit(ecx, 27)) {  // OSXSAVE: the OS uses XSAVE, so XCR0 can be read
        const uint64_t xcr0 = read_xcr0();
        f.os_avx = (xcr0 & kXcr0Avx) == kXcr0Avx;
        f.os_avx512 = (xcr0 & kXcr0Avx512) == kXcr0Avx512;
    }
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0) {
        f.avx2 = bit(ebx, 5);
        f.avx512f = bit(ebx, 16);
        f.avx512bw = bit(ebx, 30);
        f.avx512vl = bit(ebx, 31);
        f.avx512vnni = bit(ecx, 11);
    }
    if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0) f.avx512bf16 = bit(eax, 5);
#endif
    return f;
}

}  // namespace glmserve::kernels
