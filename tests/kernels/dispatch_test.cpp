// Kernel selection: best level from CPU features, GLMSERVE_KERNELS forcing, unknown or
// unsupported values falling back with a warning, and the process-wide choice honouring
// GLMSERVE_KERNELS=ref.
#include "kernels/dispatch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace glmserve::kernels {
namespace {

CpuFeatures avx2_cpu() {
    CpuFeatures f;
    f.avx = f.avx2 = f.fma = f.f16c = f.os_avx = true;
    return f;
}

CpuFeatures avx512_cpu() {
    CpuFeatures f = avx2_cpu();
    f.avx512f = f.avx512bw = f.avx512vl = f.avx512vnni = f.os_avx512 = true;
    return f;
}

TEST(Dispatch, PicksBestSupportedLevel) {
    EXPECT_EQ(select_kernels(nullptr, CpuFeatures{}).level, KernelLevel::Ref);
    EXPECT_EQ(select_kernels(nullptr, avx2_cpu()).level, KernelLevel::Avx2);
    EXPECT_EQ(select_kernels("", avx512_cpu()).level, KernelLevel::Avx512);
    const KernelSelection s = select_kernels(nullptr, avx512_cpu());
    EXPECT_FALSE(s.warning);
    ASSERT_NE(s.table, nullptr);
    // The avx512 level's table, on a host that runs it; else the best table the host runs.
    const CpuFeatures host = detect_cpu_features();
    EXPECT_EQ(s.table->name,
              host.has_avx512_level() ? "avx512" : (host.has_avx2_level() ? "avx2" : "ref"));
    EXPECT_EQ(select_kernels("ref", avx512_cpu()).table->name, "ref");
}

TEST(Dispatch, NeedsOsSupportAndEveryExtension) {
    CpuFeatures no_os = avx2_cpu();
    no_os.os_avx = false;  // the OS does not save YMM registers
    EXPECT_EQ(best_kernel_level(no_os), KernelLevel::Ref);
    CpuFeatures no_f16c = avx2_cpu();
    no_f16c.f16c = false;
    EXPECT_EQ(best_kernel_level(no_f16c), KernelLevel::Ref);
    CpuFeatures no_zmm = avx512_cpu();
    no_zmm.os_avx512 = false;
    EXPECT_EQ(best_kernel_level(no_zmm), KernelLevel::Avx2);
    CpuFeatures no_vnni = avx512_cpu();
    no_vnni.avx512vnni = false;
    EXPECT_EQ(best_kernel_level(no_vnni), KernelLevel::Avx2);
}

TEST(Dispatch, EnvironmentForcesALevel) {
    const KernelSelection s = select_kernels("ref", avx512_cpu());
    EXPECT_EQ(s.level, KernelLevel::Ref);
    EXPECT_FALSE(s.warning);
    EXPECT_NE(s.reason.find("GLMSERVE_KERNELS"), std::string::npos);
    EXPECT_EQ(select_kernels("avx2", avx512_cpu()).level, KernelLevel::Avx2);
}

TEST(Dispatch, UnsupportedOrUnknownValueFallsBackWithWarning) {
    const KernelSelection unsupported = select_kernels("avx512", avx2_cpu());
    EXPECT_EQ(unsupported.level, KernelLevel::Avx2);
    EXPECT_TRUE(unsupported.warning);
    const KernelSelection unknown = select_kernels("sse9", avx2_cpu());
    EXPECT_EQ(unknown.level, KernelLevel::Avx2);
    EXPECT_TRUE(unknown.warning);
    EXPECT_NE(unknown.reason.find("sse9"), std::string::npos);
    EXPECT_TRUE(select_kernels("AVX2", avx2_cpu()).warning);  // values are lower case
}

TEST(Dispatch, LevelNamesRoundTrip) {
    for (const KernelLevel level : {KernelLevel::Ref, KernelLevel::Avx2, KernelLevel::Avx512}) {
        EXPECT_EQ(parse_kernel_level(kernel_level_name(level)), level);
    }
    EXPECT_EQ(parse_kernel_level("native"), std::nullopt);
}

TEST(Dispatch, DetectsThisCpu) {
    const CpuFeatures cpu = detect_cpu_features();
    const std::string text = cpu.to_string();
    EXPECT_NE(text.find("avx2"), std::string::npos);
    EXPECT_NE(text.find("os_avx512"), std::string::npos);
    if (cpu.has_avx512_level()) {
        EXPECT_TRUE(cpu.has_avx2_level());
    }
}

// The process-wide choice is made on first use; this is the only test that makes it.
TEST(Dispatch, ActiveKernelsHonourEnvironment) {
    ASSERT_EQ(::setenv("GLMSERVE_KERNELS", "ref", 1), 0);
    const KernelSelection& s = active_kernel_selection();
    EXPECT_EQ(s.level, KernelLevel::Ref);
    EXPECT_FALSE(s.warning);
    EXPECT_EQ(&active_kernels(), &ref_kernels());
    EXPECT_EQ(active_kernels_reason(), s.reason);
}

}  // namespace
}  // namespace glmserve::kernels
