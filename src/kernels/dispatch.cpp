// active_kernels(): picks the KernelTable once per process (see dispatch.h).
//
// Order: GLMSERVE_KERNELS if set, valid and supported by the CPU; otherwise the best level the
// CPU and OS support. The avx2 level uses avx2_kernels(), avx512 avx512_kernels() once its
// self-check passes on this CPU (else avx2, with a warning). The reason string names the table
// actually used.
// Thread: the selection is a function-local static (initialised once, thread-safe).
#include "kernels/dispatch.h"

#include <cstdio>
#include <cstdlib>

#include "kernels/self_check.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels {

namespace {

bool level_supported(KernelLevel level, const CpuFeatures& cpu) {
    switch (level) {
        case KernelLevel::Ref: return true;
        case KernelLevel::Avx2: return cpu.has_avx2_level();
        case KernelLevel::Avx512: return cpu.has_avx512_level();
    }
    return false;
}

KernelSelection make_selection(KernelLevel level, std::string why, bool warning) {
    KernelSelection s;
    s.level = level;
    s.table = &kernel_table_for_level(level);
    s.reason = "kernels " + std::string(kernel_level_name(level)) + " (table " +
               std::string(s.table->name) + "): " + why;
    s.warning = warning;
    return s;
}

// The avx512 table only once its packed dot products agree with AVX2's on this CPU
// (self_check.h says why); otherwise the avx2 level, with a warning that says what differed.
KernelSelection checked(KernelSelection s, const std::string& cpu_line) {
    if (s.table->name != "avx512") return s;
    const std::string diff =
        packed_kernels_mismatch(*s.table, kernel_table_for_level(KernelLevel::Avx2));
    if (diff.empty()) {
        s.reason += "; avx512 self-check passed";
        return s;
    }
    return make_selection(
        KernelLevel::Avx2,
        "the avx512 kernels disagree with avx2 on this cpu (" + diff + "), using avx2; " + cpu_line,
        true);
}

}  // namespace

std::string_view kernel_level_name(KernelLevel level) {
    switch (level) {
        case KernelLevel::Ref: return "ref";
        case KernelLevel::Avx2: return "avx2";
        case KernelLevel::Avx512: return "avx512";
    }
    return "unknown";
}

std::optional<KernelLevel> parse_kernel_level(std::string_view name) {
    for (const KernelLevel level : {KernelLevel::Ref, KernelLevel::Avx2, KernelLevel::Avx512}) {
        if (name == kernel_level_name(level)) return level;
    }
    return std::nullopt;
}

KernelLevel best_kernel_level(const CpuFeatures& cpu) {
    if (cpu.has_avx512_level()) return KernelLevel::Avx512;
    if (cpu.has_avx2_level()) return KernelLevel::Avx2;
    return KernelLevel::Ref;
}

const KernelTable& kernel_table_for_level(KernelLevel level) {
    // A level names what the CPU can run; building a SIMD table runs code compiled for it, so
    // a table is only built when this CPU really has the level (tests ask about other CPUs).
    // Asked about a level above this CPU's, it answers the best table this CPU runs.
    static const CpuFeatures host = detect_cpu_features();
    const KernelTable& host_avx2_or_ref = host.has_avx2_level() ? avx2_kernels() : ref_kernels();
    switch (level) {
        case KernelLevel::Ref: return ref_kernels();
        case KernelLevel::Avx2: return host_avx2_or_ref;
        case KernelLevel::Avx512:
            return host.has_avx512_level() ? avx512_kernels() : host_avx2_or_ref;
    }
    return ref_kernels();
}

namespace {

// The level and table GLMSERVE_KERNELS and the CPU ask for, before the self-check.
KernelSelection requested_selection(const char* env_value, const CpuFeatures& cpu) {
    const KernelLevel best = best_kernel_level(cpu);
    const std::string cpu_line = "cpu: " + cpu.to_string();
    if (env_value == nullptr || *env_value == '\0') {
        return make_selection(best, "best supported; " + cpu_line, false);
    }
    const std::string_view requested(env_value);
    const std::optional<KernelLevel> level = parse_kernel_level(requested);
    if (!level) {
        return make_selection(best,
                              "GLMSERVE_KERNELS=" + std::string(requested) +
                                  " is not one of ref|avx2|avx512, using the best supported; " +
                                  cpu_line,
                              true);
    }
    if (!level_supported(*level, cpu)) {
        return make_selection(best,
                              "GLMSERVE_KERNELS=" + std::string(requested) +
                                  " is not supported by this cpu, using the best supported; " +
                                  cpu_line,
                              true);
    }
    return make_selection(*level, "forced by GLMSERVE_KERNELS; " + cpu_line, false);
}

}  // namespace

KernelSelection select_kernels(const char* env_value, const CpuFeatures& cpu) {
    return checked(requested_selection(env_value, cpu), "cpu: " + cpu.to_string());
}

const KernelSelection& active_kernel_selection() {
    static const KernelSelection selection = [] {
        KernelSelection s = select_kernels(std::getenv("GLMSERVE_KERNELS"), detect_cpu_features());
        if (s.warning) std::fprintf(stderr, "glmserve: warning: %s\n", s.reason.c_str());
        return s;
    }();
    return selection;
}

std::string_view active_kernels_reason() {
    return active_kernel_selection().reason;
}

const KernelTable& active_kernels() {
    return *active_kernel_selection().table;
}

}  // namespace glmserve::kernels
