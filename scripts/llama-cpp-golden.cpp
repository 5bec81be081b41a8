// The helper of scripts/golden-vs-llama-cpp: llama.cpp's logits for a golden case, and the
// comparison of logits files with the golden ones. Built by that script against the llama.cpp
// of scripts/lib/llama-cpp.sh; not part of glmserve.
//   llama-cpp-golden ids CASE.json                      prints the prompt ids, comma-separated
//   llama-cpp-golden logits MODEL.gguf on|off THREADS CASE.json OUT.f32
//                                                       llama.cpp's logits at every prompt
//                                                       position, flash attention on or off
//   llama-cpp-golden compare CASE.json CASE.logits.f32 OURS.f32
//                                                       max |Δlogit| and top-1 agreement over
//                                                       the rows the golden file holds
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llama.h"

namespace {

nlohmann::json read_case(const char* path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    return nlohmann::json::parse(in);
}

std::vector<float> read_floats(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
}

int print_ids(const char* case_path) {
    const auto ids = read_case(case_path).at("prompt_tokens").get<std::vector<int>>();
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? ",%d" : "%d", ids[i]);
    std::printf("\n");
    return 0;
}

// One batch holding the whole prompt, logits at every position: how the golden files were made.
int write_logits(const char* model_path, bool flash, int threads, const char* case_path,
                 const char* out_path) {
    const auto ids = read_case(case_path).at("prompt_tokens").get<std::vector<llama_token>>();
    llama_backend_init();
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    llama_model* model = llama_model_load_from_file(model_path, llama_model_default_params());
    if (model == nullptr) throw std::runtime_error("llama.cpp cannot load the model");
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512;
    cp.n_batch = 512;
    cp.n_ubatch = 512;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.flash_attn_type = flash ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context* ctx = llama_init_from_model(model, cp);
    if (ctx == nullptr) throw std::runtime_error("llama.cpp cannot make a context");
    llama_batch batch = llama_batch_init(static_cast<int32_t>(ids.size()), 0, 1);
    for (size_t i = 0; i < ids.size(); ++i) {
        batch.token[i] = ids[i];
        batch.pos[i] = static_cast<llama_pos>(i);
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = static_cast<int32_t>(ids.size());
    if (llama_decode(ctx, batch) != 0) throw std::runtime_error("llama_decode failed");
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    std::ofstream out(out_path, std::ios::binary);
    for (size_t i = 0; i < ids.size(); ++i) {
        out.write(reinterpret_cast<const char*>(llama_get_logits_ith(ctx, static_cast<int32_t>(i))),
                  static_cast<std::streamsize>(n_vocab * sizeof(float)));
    }
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return out ? 0 : 1;
}

int compare(const char* case_path, const char* golden_path, const char* ours_path) {
    const nlohmann::json c = read_case(case_path);
    const auto n_vocab = c.at("n_vocab").get<size_t>();
    const auto first = c.at("logits_first_pos").get<size_t>();
    const std::vector<float> golden = read_floats(golden_path);
    const std::vector<float> ours = read_floats(ours_path);
    if (ours.size() < (first * n_vocab) + golden.size()) {
        throw std::runtime_error(std::string(ours_path) + " holds fewer rows than the case");
    }
    double max_diff = 0.0;
    size_t agree = 0, rows = golden.size() / n_vocab;
    for (size_t r = 0; r < rows; ++r) {
        const float* g = golden.data() + r * n_vocab;
        const float* o = ours.data() + (first + r) * n_vocab;
        for (size_t i = 0; i < n_vocab; ++i) {
            max_diff = std::max(max_diff, std::fabs(static_cast<double>(g[i]) - o[i]));
        }
        agree += std::max_element(g, g + n_vocab) - g == std::max_element(o, o + n_vocab) - o;
    }
    std::printf("%.4f %zu/%zu\n", max_diff, agree, rows);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "ids" && argc == 3) return print_ids(argv[2]);
        if (mode == "logits" && argc == 7) {
            return write_logits(argv[2], std::strcmp(argv[3], "on") == 0, std::atoi(argv[4]),
                                argv[5], argv[6]);
        }
        if (mode == "compare" && argc == 5) return compare(argv[2], argv[3], argv[4]);
        std::fprintf(stderr, "usage: see the comment at the top of llama-cpp-golden.cpp\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "llama-cpp-golden: %s\n", e.what());
        return 1;
    }
}
