// `glmserve inspect MODEL [--ctx N]`: metadata, tensors by type, bytes of weights, memory
// needed for a context, and whether this machine can run it.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/system_info.h"
#include "gguf/reader.h"
#include "kernels/cpu_features.h"
#include "model/model.h"

namespace glmserve::cli {
namespace {

struct InspectOptions {
    std::string model;
    int64_t n_ctx = 0;
    int64_t max_batch_tokens = 512;
};

void print_metadata(const gguf::GgufFile& f) {
    std::printf("file: %s (GGUF v%u, %s, %zu tensors, %zu metadata keys)\n", f.path().c_str(),
                f.version(), format_bytes(f.file_bytes()).c_str(), f.tensors().size(),
                f.metadata().entries().size());
    std::printf("\nmetadata:\n");
    for (const gguf::KeyValue& kv : f.metadata().entries()) {
        std::string value = gguf::Metadata::describe(kv.value);
        if (value.size() > 120) value = value.substr(0, 117) + "...";
        std::printf("  %-48.*s %s\n", static_cast<int>(kv.key.size()), kv.key.data(),
                    value.c_str());
    }
}

void print_tensors(const gguf::GgufFile& f) {
    std::map<std::string, std::pair<int64_t, uint64_t>> by_type;  // name -> (count, bytes)
    for (const gguf::TensorInfo& t : f.tensors()) {
        auto& [count, bytes] = by_type[std::string(gguf::tensor_type_name(t.type))];
        ++count;
        bytes += t.n_bytes;
    }
    std::printf("\ntensors by type:\n");
    for (const auto& [name, cb] : by_type) {
        std::printf("  %-6s %5lld tensors  %s\n", name.c_str(), static_cast<long long>(cb.first),
                    format_bytes(cb.second).c_str());
    }
    std::printf("  weights total: %s\n", format_bytes(f.tensor_data_bytes()).c_str());
}

// Memory a replica needs: mapped weights + KV for n_ctx + the decoder's step buffers.
uint64_t print_memory(const model::Model& m, int64_t n_ctx, int64_t max_batch_tokens) {
    const model::HParams& hp = m.hparams();
    const auto kv = static_cast<uint64_t>(model::kv_bytes_per_token(hp) * n_ctx);
    const int64_t widths = 4 * hp.n_embd + 3 * hp.n_embd_q() + 2 * hp.n_embd_kv() + 3 * hp.n_ff;
    const auto buffers = static_cast<uint64_t>(max_batch_tokens * widths * 4 + hp.n_vocab * 4 * 2);
    const uint64_t total = m.weight_bytes() + kv + buffers;
    const std::string mrope = hp.mrope() ? fmt::format(", M-RoPE sections {} (text positions only)",
                                                       fmt::join(hp.rope_sections, "/"))
                                         : std::string();
    std::printf(
        "\nmodel: %s, %lld layers, n_embd %lld, heads %lld/%lld (head dim %lld, rotary "
        "%lld%s), n_ff %lld, vocab %lld, context %lld\n",
        std::string(model::arch_name(hp.arch)).c_str(), static_cast<long long>(hp.n_layer),
        static_cast<long long>(hp.n_embd), static_cast<long long>(hp.n_head),
        static_cast<long long>(hp.n_head_kv), static_cast<long long>(hp.n_embd_head),
        static_cast<long long>(hp.n_rot), mrope.c_str(), static_cast<long long>(hp.n_ff),
        static_cast<long long>(hp.n_vocab), static_cast<long long>(hp.n_ctx_train));
    std::printf(
        "memory for a %lld-token context: weights %s (mapped) + KV %s (%s/token, f16) + "
        "buffers %s = %s\n",
        static_cast<long long>(n_ctx), format_bytes(m.weight_bytes()).c_str(),
        format_bytes(kv).c_str(),
        format_bytes(static_cast<uint64_t>(model::kv_bytes_per_token(hp))).c_str(),
        format_bytes(buffers).c_str(), format_bytes(total).c_str());
    return total;
}

int run_inspect(const InspectOptions& o) {
    auto file = gguf::GgufFile::open(o.model);
    if (!file.ok()) return fail(file.status().with_context(o.model));
    print_metadata(*file);
    print_tensors(*file);

    std::printf("\nthis machine: %d physical cores, %s RAM (%s available), CPU: %s, kernels: %s\n",
                physical_core_count(), format_bytes(total_memory_bytes()).c_str(),
                format_bytes(available_memory_bytes()).c_str(),
                kernels::detect_cpu_features().to_string().c_str(),
                std::string(kernels::active_kernels().name).c_str());
    auto m = model::Model::from_file(std::move(*file), kernels::active_kernels());
    if (!m.ok()) {
        std::printf("can run: no (%s)\n", m.status().message().c_str());
        return 1;
    }
    const int64_t n_ctx = o.n_ctx > 0 ? o.n_ctx : (*m)->hparams().n_ctx_train;
    const uint64_t need = print_memory(**m, n_ctx, o.max_batch_tokens);
    if (!(*m)->warnings().empty()) std::printf("warnings:\n%s", (*m)->warnings().c_str());
    const uint64_t avail = available_memory_bytes();
    if (avail != 0 && need > avail) {
        std::printf("can run: no (needs %s, %s available; try a smaller --ctx)\n",
                    format_bytes(need).c_str(), format_bytes(avail).c_str());
        return 1;
    }
    std::printf("can run: yes\n");
    return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<InspectOptions>();
    CLI::App* sub = app.add_subcommand("inspect", "Show a model's metadata, tensors and needs");
    sub->add_option("model", o->model, "GGUF file")->required();
    sub->add_option("-c,--ctx", o->n_ctx, "Context to size memory for (0: the model's)")
        ->capture_default_str();
    sub->callback([o, &run] { run = [o] { return run_inspect(*o); }; });
}

}  // namespace glmserve::cli
