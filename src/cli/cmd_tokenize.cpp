// `glmserve tokenize -m MODEL --text TEXT [--add-special]`: prints the ids as a JSON array.
// Works on vocabulary-only GGUF files: only the tokenizer metadata is read.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::cli {
namespace {

struct TokenizeOptions {
    std::string model;
    std::string text;
    bool add_special = false;
    bool no_parse_special = false;
};

int run_tokenize(const TokenizeOptions& o) {
    auto file = gguf::GgufFile::open(o.model);
    if (!file.ok()) return fail(file.status().with_context(o.model));
    auto tok = tokenizer::Tokenizer::from_metadata(file->metadata());
    if (!tok.ok()) return fail(tok.status().with_context(o.model));
    auto ids =
        (*tok)->encode(o.text, tokenizer::EncodeOptions{.add_special = o.add_special,
                                                        .parse_special = !o.no_parse_special});
    if (!ids.ok()) return fail(ids.status());
    std::printf("[%s]\n", fmt::format("{}", fmt::join(*ids, ", ")).c_str());
    return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app, CommandRunner& run) {
    auto opts = std::make_shared<TokenizeOptions>();
    CLI::App* sub = app.add_subcommand("tokenize", "Print the token ids of a text as JSON");
    sub->add_option("-m,--model", opts->model, "GGUF model or vocabulary file")->required();
    sub->add_option("--text", opts->text, "Text to tokenize")->required();
    sub->add_flag("--add-special", opts->add_special,
                  "Add the BOS/EOS tokens the vocabulary asks for");
    sub->add_flag("--no-parse-special", opts->no_parse_special,
                  "Treat special-token strings in the text as plain text");
    sub->callback([opts, &run] { run = [opts] { return run_tokenize(*opts); }; });
}

}  // namespace glmserve::cli
