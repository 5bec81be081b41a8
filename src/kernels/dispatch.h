// Choosing the kernel table for this process (STYLE.md §6).
//
// The level is the best the CPU and OS support (cpu_features.h), unless GLMSERVE_KERNELS
// (ref|avx2|avx512) forces one. A forced level the CPU cannot run, or an unknown value, is not
// fatal: the best supported level is used and the selection carries a warning. The avx512 table
// is used only after its packed dot products matched AVX2's on this CPU (self_check.h); if they
// do not, the avx2 level is used, with a warning saying what differed. Kernels have no
// logging dependency, so the caller logs `reason` (at warn when `warning` is set); the
// unknown-value case is also written once to stderr.
// Thread: select_kernels() has no side effects; active_kernel_selection() decides once
// (thread-safe static) and is immutable afterwards.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kernels/cpu_features.h"
#include "kernels/kernel_table.h"

namespace glmserve::kernels {

enum class KernelLevel : uint8_t { Ref, Avx2, Avx512 };

std::string_view kernel_level_name(KernelLevel level);                 // "ref", "avx2", "avx512"
std::optional<KernelLevel> parse_kernel_level(std::string_view name);  // exact, lower case
KernelLevel best_kernel_level(const CpuFeatures& cpu);

// The table that implements a level: ref_kernels(), avx2_kernels() or avx512_kernels(). A SIMD
// table is only handed out on a CPU that runs it; asked about a level this CPU lacks (tests), it
// answers the best table this CPU runs.
const KernelTable& kernel_table_for_level(KernelLevel level);

struct KernelSelection {
    KernelLevel level = KernelLevel::Ref;  // the ISA level chosen
    const KernelTable* table = nullptr;    // the table used for it (never null once selected)
    std::string reason;                    // one line for the caller to log
    bool warning = false;                  // the request could not be honoured as asked
};

// env_value: the value of GLMSERVE_KERNELS, or nullptr/empty when unset.
KernelSelection select_kernels(const char* env_value, const CpuFeatures& cpu);

// The selection for this process: the first call reads GLMSERVE_KERNELS and cpuid.
const KernelSelection& active_kernel_selection();

// Why active_kernels() is what it is, e.g. "kernels avx2 (table ref): best supported by cpu".
std::string_view active_kernels_reason();

}  // namespace glmserve::kernels
