// The start-up self-check (src/kernels/self_check.h): tables that agree pass, a table with one
// wrong packed kernel is caught and named, tables that pack a type differently are not compared.
#include "kernels/self_check.h"

#include <gtest/gtest.h>

#include <string>

#include "kernels/cpu_features.h"
#include "kernels/emulated_tables.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;

class SelfCheckTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; the avx2 kernels cannot run";
        }
    }
};

TEST_F(SelfCheckTest, AgreeingTablesPass) {
    EXPECT_EQ(packed_kernels_mismatch(avx2_kernels(), avx2_kernels()), "");
    // What dispatch runs on an AVX-512 CPU, here with the VNNI arithmetic emulated.
    EXPECT_EQ(packed_kernels_mismatch(testing::avx512_emulated_kernels(), avx2_kernels()), "");
}

TEST_F(SelfCheckTest, AWrongKernelIsCaughtAndNamed) {
    // Q5_1 groups read by the Q4_1 kernel: same layout up to the bit plane, so the results are
    // plausible numbers, only wrong.
    KernelTable broken = avx2_kernels();
    broken[T::Q5_1].vec_dot_packed = avx2_kernels()[T::Q4_1].vec_dot_packed;
    const std::string diff = packed_kernels_mismatch(broken, avx2_kernels());
    EXPECT_NE(diff.find("Q5_1"), std::string::npos) << diff;
    EXPECT_NE(diff.find("n_act 1:"), std::string::npos) << diff;  // found on the first call
}

TEST_F(SelfCheckTest, TypesPackedDifferentlyAreNotCompared) {
    KernelTable other = avx2_kernels();
    other[T::Q4_0].pack_rows = avx2_kernels()[T::Q8_0].pack_rows;
    other[T::Q4_0].vec_dot_packed = avx2_kernels()[T::Q8_0].vec_dot_packed;
    EXPECT_EQ(packed_kernels_mismatch(other, avx2_kernels()), "");
    // A table without packed kernels has nothing to compare.
    EXPECT_EQ(packed_kernels_mismatch(ref_kernels(), avx2_kernels()), "");
}

}  // namespace
}  // namespace glmserve::kernels
