// The subcommands of the glmserve binary. Each add_*_command registers its CLI11 subcommand
// and options; when that subcommand is chosen, `run` is set to a closure that executes it and
// returns the process exit code (0 ok, 1 failure with a message on stderr).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace glmserve::cli {

using CommandRunner = std::function<int()>;

void add_inspect_command(CLI::App& app, CommandRunner& run);
void add_tokenize_command(CLI::App& app, CommandRunner& run);
void add_logits_command(CLI::App& app, CommandRunner& run);
void add_generate_command(CLI::App& app, CommandRunner& run);
void add_make_model_command(CLI::App& app, CommandRunner& run);
void add_quantize_command(CLI::App& app, CommandRunner& run);
void add_serve_command(CLI::App& app, CommandRunner& run);
void add_gateway_command(CLI::App& app, CommandRunner& run);
void add_cluster_command(CLI::App& app, CommandRunner& run);
// `bench` and its subcommands: engine, serve, compare.
void add_bench_command(CLI::App& app, CommandRunner& run);
void add_bench_engine_command(CLI::App& bench, CommandRunner& run);
void add_bench_serve_command(CLI::App& bench, CommandRunner& run);  // serve and compare

}  // namespace glmserve::cli
