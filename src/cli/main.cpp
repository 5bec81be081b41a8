// glmserve: one binary, one subcommand per job (ARCHITECTURE.md "Subcommands").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
    CLI::App app{"glmserve: serve GLM-family language models from GGUF files"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "glmserve 0.1.0");
    glmserve::cli::CommandRunner run;
    glmserve::cli::add_inspect_command(app, run);
    glmserve::cli::add_tokenize_command(app, run);
    glmserve::cli::add_logits_command(app, run);
    glmserve::cli::add_generate_command(app, run);
    glmserve::cli::add_make_model_command(app, run);
    glmserve::cli::add_quantize_command(app, run);
    glmserve::cli::add_serve_command(app, run);
    glmserve::cli::add_gateway_command(app, run);
    glmserve::cli::add_cluster_command(app, run);
    glmserve::cli::add_bench_command(app, run);
    CLI11_PARSE(app, argc, argv);
    try {
        return run ? run() : 2;
    } catch (const std::exception& e) {
        // Safety net: errors travel as Status; an exception here is a bug worth a clear line.
        std::fprintf(stderr, "error: unexpected exception: %s\n", e.what());
        return 1;
    }
}
