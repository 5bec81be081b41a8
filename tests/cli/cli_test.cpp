// Runs the real glmserve binary: make-model -> inspect / tokenize / logits / generate /
// quantize, and the error paths a user meets first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/golden.h"
#include "support/subprocess.h"

namespace {

namespace fs = std::filesystem;

using RunResult = glmserve::testing::CommandResult;

RunResult run(const std::string& args) {
    return glmserve::testing::run_command(std::string(GLMSERVE_BINARY) + " " + args);
}

class CliTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("glmserve-cli-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        const RunResult r = run("make-model --arch glm4 --preset small --seed 3 --type f32 --out " +
                                (dir_ / "m.gguf").string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    static std::string model() { return (dir_ / "m.gguf").string(); }
    static fs::path dir_;
};

fs::path CliTest::dir_;

TEST_F(CliTest, TokenizePrintsAJsonArray) {
    const RunResult r = run("tokenize -m " + model() + " --text 'Hello world'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    ASSERT_TRUE(j.is_array());
    EXPECT_GE(j.size(), 2u);
}

TEST_F(CliTest, TokenizeWorksOnVocabularyOnlyFiles) {
    GS_REQUIRE_GOLDEN(golden);
    // vocab-llama-spm.gguf carries a tokenizer and no tensors.
    const fs::path spm = golden / "tokenizer" / "vocab-llama-spm.gguf";
    const auto cases = nlohmann::json::parse(
        std::ifstream(golden / "tokenizer" / "vocab-llama-spm" / "tokenize.json"));
    const auto& first = cases.at(0);
    const std::string flag = first.at("add_special").get<bool>() ? " --add-special" : "";
    const RunResult r = run("tokenize -m " + spm.string() + " --text '" +
                            first.at("text").get<std::string>() + "'" + flag);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(nlohmann::json::parse(r.output), first.at("tokens"));
}

TEST_F(CliTest, LogitsWritesOneRowPerToken) {
    const fs::path out = dir_ / "logits.f32";
    const RunResult r = run("logits -m " + model() + " --tokens 1,2,3,40 --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const RunResult tok = run("tokenize -m " + model() + " --text x");
    ASSERT_EQ(tok.exit_code, 0);
    // n_vocab from inspect's "vocab N".
    const RunResult info = run("inspect " + model());
    const auto pos = info.output.find("vocab ");
    ASSERT_NE(pos, std::string::npos) << info.output;
    const long n_vocab = std::stol(info.output.substr(pos + 6));
    EXPECT_EQ(fs::file_size(out), static_cast<uintmax_t>(4 * n_vocab * 4));
}

TEST_F(CliTest, GenerateJsonIsDeterministicForASeed) {
    const std::string args = "generate -m " + model() +
                             " -p 'Once upon a time' -n 8 --temperature 0.9 --seed 5 --json "
                             "--ignore-eos";
    const RunResult a = run(args);
    const RunResult b = run(args);
    ASSERT_EQ(a.exit_code, 0) << a.output;
    const auto ja = nlohmann::json::parse(a.output);
    EXPECT_EQ(ja.at("tokens").size(), 8u);
    EXPECT_TRUE(ja.at("text").is_string());
    EXPECT_EQ(a.output, b.output);
}

TEST_F(CliTest, GenerateChatUsesTheModelTemplate) {
    const RunResult r = run("generate -m " + model() + " -p hi --chat -n 4 --seed 1 --json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CliTest, InspectReportsMemoryAndVerdict) {
    const RunResult r = run("inspect " + model() + " --ctx 512");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("general.architecture"), std::string::npos);
    EXPECT_NE(r.output.find("tensors by type"), std::string::npos);
    EXPECT_NE(r.output.find("memory for a 512-token context"), std::string::npos);
    EXPECT_NE(r.output.find("can run: yes"), std::string::npos);
}

TEST_F(CliTest, QuantizedModelRuns) {
    const fs::path q = dir_ / "q8.gguf";
    RunResult r = run("quantize " + model() + " " + q.string() + " q8_0");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run("generate -m " + q.string() + " --tokens 1,2,3 -n 3 --temperature 0 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(nlohmann::json::parse(r.output).at("tokens").size(), 3u);
}

TEST_F(CliTest, GenerateWithoutModelMakesThenReusesTheDemoModel) {
    const std::string env = "GLMSERVE_CACHE_DIR=" + (dir_ / "cache").string() + " ";
    const std::string cmd = env + GLMSERVE_BINARY + " generate -p 'Hello' -n 4 --seed 2";
    const auto run_shell = [](const std::string& c) {
        const RunResult r = glmserve::testing::run_command(c);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return r.output;
    };
    EXPECT_NE(run_shell(cmd).find("made the built-in demo model"), std::string::npos);
    EXPECT_EQ(run_shell(cmd).find("made the built-in demo model"), std::string::npos);
}

TEST_F(CliTest, BenchEngineReportsSpeedAndRoofline) {
    const RunResult r = run("bench engine -m " + model() + " -p 8 -n 4 -r 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("prompt_tokens_per_second").at("samples").size(), 2u);
    EXPECT_GT(j.at("generation_tokens_per_second").at("mean").get<double>(), 0.0);
    EXPECT_GT(j.at("read_bandwidth_bytes_per_second").get<double>(), 0.0);
    EXPECT_EQ(j.at("read_bandwidth_samples").size(), 2u);  // one probe after each run
    EXPECT_GT(j.at("roofline_fraction").get<double>(), 0.0);
}

// The roofline is about generation: a prompt-only run neither probes nor reports bandwidth.
TEST_F(CliTest, BenchEnginePromptOnlyHasNoRoofline) {
    const RunResult r = run("bench engine -m " + model() + " -p 8 -n 0 -r 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("prompt_tokens_per_second").at("samples").size(), 2u);
    EXPECT_FALSE(j.contains("read_bandwidth_samples"));
    EXPECT_FALSE(j.contains("roofline_fraction"));
    const RunResult text = run("bench engine -m " + model() + " -p 8 -n 0 -r 1");
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("pp8"), std::string::npos) << text.output;
    EXPECT_EQ(text.output.find("bandwidth"), std::string::npos) << text.output;
}

TEST_F(CliTest, ErrorsAreClearAndNonZero) {
    RunResult r = run("generate -m /nonexistent.gguf -p hi");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("error:"), std::string::npos);

    const fs::path junk = dir_ / "junk.gguf";
    std::ofstream(junk) << "this is not a gguf file at all";
    r = run("inspect " + junk.string());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("error:"), std::string::npos);

    r = run("logits -m " + model() + " --tokens 1,x,3 --out /dev/null");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("'x'"), std::string::npos);

    r = run("generate -m " + model() + " --tokens 1,999999 -n 2");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("999999"), std::string::npos);

    r = run("quantize " + model() + " " + (dir_ / "x.gguf").string() + " q9_9");
    EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
