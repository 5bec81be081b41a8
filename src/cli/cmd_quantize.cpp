// `glmserve quantize IN OUT TYPE`: re-encode a model's weight matrices (Q8_0, Q4_0, Q4_K, ...).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gguf/reader.h"
#include "kernels/thread_pool.h"
#include "model/quantize.h"

namespace glmserve::cli {
namespace {

struct QuantizeOptions {
    std::string input;
    std::string output;
    std::string type;
    int threads = 0;
};

int run_quantize(const QuantizeOptions& o) {
    const auto type = gguf::parse_tensor_type(o.type);
    if (!type) return fail(invalid_argument(fmt::format("unknown tensor type '{}'", o.type)));
    auto in = gguf::GgufFile::open(o.input);
    if (!in.ok()) return fail(in.status().with_context(o.input));
    kernels::ThreadPool pool(resolve_threads(o.threads));
    auto report = model::quantize_model(*in, o.output, *type, kernels::active_kernels(), pool);
    if (!report.ok()) return fail(report.status());
    std::fprintf(stderr,
                 "wrote %s: %lld tensors converted to %s (%lld with a fallback type), %lld kept; "
                 "%s -> %s\n",
                 o.output.c_str(), static_cast<long long>(report->n_tensors_converted),
                 std::string(gguf::tensor_type_name(*type)).c_str(),
                 static_cast<long long>(report->n_tensors_fallback),
                 static_cast<long long>(report->n_tensors_kept),
                 format_bytes(report->bytes_in).c_str(), format_bytes(report->bytes_out).c_str());
    return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<QuantizeOptions>();
    CLI::App* sub = app.add_subcommand("quantize", "Re-encode a model's weights");
    sub->add_option("input", o->input, "Input GGUF")->required();
    sub->add_option("output", o->output, "Output GGUF")->required();
    sub->add_option("type", o->type, "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F16, BF16")
        ->required();
    sub->add_option("-t,--threads", o->threads, "Threads (0: physical cores)");
    sub->callback([o, &run] { run = [o] { return run_quantize(*o); }; });
}

}  // namespace glmserve::cli
