#include "support/golden.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace glmserve::testing {

std::optional<std::filesystem::path> golden_dir() {
    std::filesystem::path dir;
    if (const char* env = std::getenv("GLMSERVE_GOLDEN_DIR"); env != nullptr && *env != '\0') {
        dir = env;
    } else {
        dir = GLMSERVE_GOLDEN_DIR_DEFAULT;
    }
    std::error_code ec;
    if (!std::filesystem::exists(dir / "README.md", ec)) return std::nullopt;
    return dir;
}

std::vector<float> read_f32_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<float> out;
    if (!in) return out;
    in.seekg(0, std::ios::end);
    const auto n_bytes = static_cast<size_t>(in.tellg());
    in.seekg(0);
    out.resize(n_bytes / sizeof(float));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * 4));
    return out;
}

std::optional<GoldenCaseFiles> read_golden_case(const std::filesystem::path& golden,
                                                const std::string& model, const std::string& name) {
    const std::filesystem::path stem = golden / "cases" / model / name;
    std::ifstream in(stem.string() + ".json");
    if (!in) return std::nullopt;
    const nlohmann::json j = nlohmann::json::parse(in);
    return GoldenCaseFiles{.prompt = j.at("prompt_tokens").get<std::vector<int32_t>>(),
                           .greedy = j.at("greedy").get<std::vector<int32_t>>(),
                           .greedy_margin = j.at("greedy_margin").get<std::vector<double>>(),
                           .n_vocab = j.at("n_vocab").get<int64_t>(),
                           .logits_first_pos = j.at("logits_first_pos").get<int64_t>(),
                           .logits = read_f32_file(stem.string() + ".logits.f32")};
}

std::string gtest_safe_name(std::string name) {
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

}  // namespace glmserve::testing
