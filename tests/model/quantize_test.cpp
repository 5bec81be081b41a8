#include "model/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/generator.h"
#include "gguf/writer.h"
#include "kernels/kernel_table.h"
#include "support/tiny_model.h"

namespace glmserve::model {
namespace {

using gguf::TensorType;

// RMS of the logit difference between a model and its quantized copy, relative to the RMS of
// the original logits.
double relative_logit_error(const std::filesystem::path& original,
                            const std::filesystem::path& quantized) {
    const auto& table = kernels::ref_kernels();
    kernels::ThreadPool pool(2);
    auto a = Model::load(original, table);
    auto b = Model::load(quantized, table);
    EXPECT_TRUE(a.ok() && b.ok());
    auto ga = engine::Generator::create(*a, table, pool, {.n_ctx = 64}).value();
    auto gb = engine::Generator::create(*b, table, pool, {.n_ctx = 64}).value();
    const std::vector<int32_t> ids = {3, 17, 200, 45, 9, 77, 120, 5};
    const auto la = ga->prompt_logits(ids).value();
    const auto lb = gb->prompt_logits(ids).value();
    double diff = 0, norm = 0;
    for (size_t i = 0; i < la.size(); ++i) {
        diff += (la[i] - lb[i]) * (la[i] - lb[i]);
        norm += la[i] * la[i];
    }
    return std::sqrt(diff / norm);
}

class QuantizeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("glmserve-quantize-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        RandomModelSpec spec = testing::tiny_spec();
        spec.n_embd = 256;  // K-quants need rows of 256
        spec.n_ff = 288;    // ffn_down rows of 288: exercises the K-quant fallback
        gguf::GgufWriter w;
        ASSERT_TRUE(add_random_model(spec, kernels::ref_kernels(), w).ok());
        ASSERT_TRUE(w.write(dir_ / "f32.gguf").ok());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(QuantizeTest, EachTypeLoadsRunsAndStaysClose) {
    struct Case {
        TensorType type;
        // Relative RMS logit error; measured on this random model: Q8_0 0.027, Q6_K 0.069,
        // Q4_K 0.24, Q4_0 0.31 (random weights amplify errors more than trained ones do). A
        // broken quantizer gives ~1.4 (uncorrelated logits).
        double max_rel_error;
    };
    for (const Case c :
         {Case{TensorType::Q8_0, 0.04}, Case{TensorType::Q6_K, 0.1}, Case{TensorType::Q4_K, 0.35},
          Case{TensorType::Q4_0, 0.45}, Case{TensorType::F16, 0.002}}) {
        SCOPED_TRACE(std::string(gguf::tensor_type_name(c.type)));
        auto in = gguf::GgufFile::open(dir_ / "f32.gguf");
        ASSERT_TRUE(in.ok());
        kernels::ThreadPool pool(2);
        const auto out = dir_ / "q.gguf";
        auto report = quantize_model(*in, out, c.type, kernels::ref_kernels(), pool);
        ASSERT_TRUE(report.ok()) << report.status().to_string();
        EXPECT_GT(report->n_tensors_converted, 0);
        EXPECT_GT(report->n_tensors_kept, 0);  // norms and biases
        auto q = gguf::GgufFile::open(out);
        ASSERT_TRUE(q.ok());
        // Norms and biases stay F32.
        EXPECT_EQ(q->find_tensor("blk.0.attn_norm.weight")->type, TensorType::F32);
        EXPECT_EQ(q->find_tensor("blk.0.attn_q.bias")->type, TensorType::F32);
        EXPECT_EQ(q->find_tensor("blk.0.attn_q.weight")->type, c.type);
        EXPECT_LT(relative_logit_error(dir_ / "f32.gguf", out), c.max_rel_error);
    }
}

TEST_F(QuantizeTest, KQuantFallsBackWhereRowsDoNotDivideIntoSuperBlocks) {
    auto in = gguf::GgufFile::open(dir_ / "f32.gguf");
    ASSERT_TRUE(in.ok());
    kernels::ThreadPool pool(1);
    auto report =
        quantize_model(*in, dir_ / "q4k.gguf", TensorType::Q4_K, kernels::ref_kernels(), pool);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->n_tensors_fallback, 2);  // ffn_down of both layers
    auto q = gguf::GgufFile::open(dir_ / "q4k.gguf");
    EXPECT_EQ(q->find_tensor("blk.0.ffn_down.weight")->type, TensorType::Q5_0);
    EXPECT_EQ(q->find_tensor("blk.0.ffn_up.weight")->type, TensorType::Q4_K);
}

}  // namespace
}  // namespace glmserve::model
