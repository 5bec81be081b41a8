// Helpers shared by the subcommands: error printing, token lists, model loading, the demo model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kernels/kernel_table.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::cli {

// Prints "error: <message>" to stderr and returns 1 (the exit code for failures).
int fail(const Status& status);

// Sets up the process's logging from the --log-level and --log-format flags of the long-running
// commands (serve, gateway, cluster); InvalidArgument naming the flag when a value is bad.
Status setup_logging_from_flags(const std::string& level, const std::string& format);

// "1,2, 3" -> {1, 2, 3}; InvalidArgument naming the bad element.
Result<std::vector<int32_t>> parse_token_list(std::string_view text);

// Thread count: `requested` if > 0, else the number of physical cores.
int resolve_threads(int requested);

// Loads a model with the process's kernel table.
Result<std::shared_ptr<const model::Model>> load_model(const std::filesystem::path& path);

struct LoadedModel {
    std::shared_ptr<const model::Model> model;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

// The model and its tokenizer; DataLoss when the two disagree on the vocabulary size (sampled
// ids past the tokenizer's vocabulary would decode to nothing).
Result<LoadedModel> load_model_and_tokenizer(const std::filesystem::path& path);

// The built-in demo model's path, creating it on first use (a seeded random glm4 with the
// built-in vocabulary, cached under $GLMSERVE_CACHE_DIR, $XDG_CACHE_HOME/glmserve or
// ~/.cache/glmserve).
Result<std::filesystem::path> ensure_demo_model();

// "1.50 GiB" style.
std::string format_bytes(uint64_t bytes);

}  // namespace glmserve::cli
