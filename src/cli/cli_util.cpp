#include "cli/cli_util.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "common/system_info.h"
#include "gguf/writer.h"
#include "kernels/dispatch.h"
#include "model/random_model.h"
#include "obs/logging.h"
#include "tokenizer/builtin_vocab.h"

namespace glmserve::cli {

int fail(const Status& status) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
}

Status setup_logging_from_flags(const std::string& level, const std::string& format) {
    auto parsed = obs::parse_log_level(level);
    if (!parsed.ok()) return parsed.status().with_context("--log-level");
    if (format != "text" && format != "json") {
        return invalid_argument("--log-format must be text or json");
    }
    obs::setup_logging({.level = *parsed,
                        .format = format == "json" ? obs::LogFormat::Json : obs::LogFormat::Text});
    return ok_status();
}

Result<std::vector<int32_t>> parse_token_list(std::string_view text) {
    std::vector<int32_t> ids;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        int32_t id = 0;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || id < 0) {
            return invalid_argument(
                fmt::format("--tokens: '{}' is not a token id (expected "
                            "comma-separated non-negative integers)",
                            item));
        }
        ids.push_back(id);
        start = end + 1;
    }
    return ids;
}

int resolve_threads(int requested) {
    return requested > 0 ? requested : physical_core_count();
}

Result<std::shared_ptr<const model::Model>> load_model(const std::filesystem::path& path) {
    const kernels::KernelSelection& selection = kernels::active_kernel_selection();
    auto log = obs::logger("model");
    if (selection.warning) {
        log->warn("{}", selection.reason);
    } else {
        log->debug("{}", selection.reason);
    }
    auto m = model::Model::load(path, *selection.table);
    if (!m.ok()) return m.status().with_context(path.string());
    if (!(*m)->warnings().empty()) log->warn("{}: {}", path.string(), (*m)->warnings());
    return m;
}

Result<LoadedModel> load_model_and_tokenizer(const std::filesystem::path& path) {
    LoadedModel loaded;
    GS_ASSIGN_OR_RETURN(loaded.model, load_model(path));
    auto tok = tokenizer::Tokenizer::from_metadata(loaded.model->file().metadata());
    if (!tok.ok()) return tok.status().with_context(path.string());
    loaded.tokenizer = std::move(tok).value();
    if (loaded.tokenizer->n_vocab() != loaded.model->hparams().n_vocab) {
        return data_loss(fmt::format("{}: the tokenizer has {} tokens but token_embd has {} rows",
                                     path.string(), loaded.tokenizer->n_vocab(),
                                     loaded.model->hparams().n_vocab));
    }
    return loaded;
}

namespace {

std::filesystem::path cache_dir() {
    if (const char* dir = std::getenv("GLMSERVE_CACHE_DIR"); dir && *dir) return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
        return std::filesystem::path(xdg) / "glmserve";
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
        return std::filesystem::path(home) / ".cache" / "glmserve";
    }
    return std::filesystem::temp_directory_path() / "glmserve-cache";
}

// Bump when the demo model's recipe changes, so a stale cached file is not reused.
constexpr std::string_view kDemoModelFile = "demo-glm4-v1.gguf";
constexpr uint64_t kDemoSeed = 42;

}  // namespace

Result<std::filesystem::path> ensure_demo_model() {
    const std::filesystem::path dir = cache_dir();
    const std::filesystem::path path = dir / kDemoModelFile;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return unavailable(
            fmt::format("cannot create cache folder {}: {}", dir.string(), ec.message()));
    }
    const tokenizer::VocabSpec vocab = tokenizer::make_builtin_vocab();
    GS_ASSIGN_OR_RETURN(model::RandomModelSpec spec, model::random_model_preset("demo"));
    spec.n_vocab = static_cast<int64_t>(vocab.tokens.size());
    spec.seed = kDemoSeed;
    spec.type = gguf::TensorType::F16;
    gguf::GgufWriter writer;
    GS_RETURN_IF_ERROR(model::add_random_model(spec, kernels::active_kernels(), writer));
    tokenizer::write_vocab_metadata(vocab, writer);
    // The writer renames a temporary file into place, so concurrent first runs cannot see a
    // half-written model.
    GS_RETURN_IF_ERROR(writer.write(path));
    std::fprintf(stderr, "made the built-in demo model at %s\n", path.c_str());
    return path;
}

std::string format_bytes(uint64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
    if (b >= 1024.0 * 1024) return fmt::format("{:.2f} MiB", b / (1024.0 * 1024));
    if (b >= 1024.0) return fmt::format("{:.2f} KiB", b / 1024.0);
    return fmt::format("{} B", bytes);
}

}  // namespace glmserve::cli
