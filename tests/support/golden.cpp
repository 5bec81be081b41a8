#include "support/golden.h"

#include <cstdlib>
#include <fstream>

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

}  // namespace glmserve::testing
