// Tokenizer::from_metadata: reads and validates the tokenizer.ggml.* keys (glm-gguf.md §1.6, §4)
// and builds the vocabulary, the subword model and the derived tables.
//
// Defaults follow llama.cpp's llama_vocab::load, except that a missing id is -1 rather than a
// made-up id (llama.cpp uses 11 for BPE; glm-gguf.md §4.7 calls that a pitfall). SentencePiece
// keeps its conventional <unk>=0, <s>=1, </s>=2 when the keys are absent, with a warning.
#include <fmt/format.h>

#include <algorithm>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::tokenizer {
namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kTokenTypeKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kAddBosKey = "tokenizer.ggml.add_bos_token";
constexpr std::string_view kAddEosKey = "tokenizer.ggml.add_eos_token";
constexpr std::string_view kAddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";

// Turns a NotFound from a getter into a message that says the key is required and why.
Status required(const Status& status, std::string_view why) {
    if (status.code() == StatusCode::NotFound) {
        return not_found(fmt::format("{} ({})", status.message(), why));
    }
    return status;
}

}  // namespace

struct Tokenizer::Loader {
    const gguf::Metadata& md;
    Tokenizer& tok;

    Status load_tokens();
    Status load_model();
    Status load_bpe();
    Status load_spm();
    Result<int32_t> special_id(std::string_view key, int32_t fallback = -1,
                               TokenType fallback_type = TokenType::Control);
    Status load_special_ids();
    Status load_flags(bool add_bos_default);
    void build_tables();
    void warn(std::string message) { tok.warnings_.push_back(std::move(message)); }
};

Status Tokenizer::Loader::load_tokens() {
    auto tokens = md.get_string_array(kTokensKey);
    if (!tokens.ok()) return required(tokens.status(), "the vocabulary");
    const std::span<const std::string_view> texts = *tokens;
    if (texts.empty()) return data_loss(fmt::format("{} is empty", kTokensKey));
    if (texts.size() > static_cast<size_t>(INT32_MAX)) {
        return data_loss(
            fmt::format("{} has {} entries, more than int32 ids allow", kTokensKey, texts.size()));
    }
    detail::Vocab& vocab = tok.vocab_;
    vocab.text.assign(texts.begin(), texts.end());
    vocab.type.assign(texts.size(), TokenType::Normal);
    auto types = md.get_int_array(kTokenTypeKey);
    if (types.ok()) {
        if (types->size() != texts.size()) {
            return data_loss(fmt::format("{} has {} entries but {} has {}", kTokenTypeKey,
                                         types->size(), kTokensKey, texts.size()));
        }
        for (size_t i = 0; i < types->size(); ++i) {
            const int64_t t = (*types)[i];
            if (t < 0 || t > static_cast<int64_t>(TokenType::Byte)) {
                return data_loss(
                    fmt::format("{}[{}] = {} is not a token type (0..6)", kTokenTypeKey, i, t));
            }
            vocab.type[i] = static_cast<TokenType>(t);
        }
    } else if (types.status().code() == StatusCode::NotFound) {
        warn(
            fmt::format("{} is missing: every token is NORMAL, no special token can be "
                        "recognised in text",
                        kTokenTypeKey));
    } else {
        return types.status();
    }
    vocab.index.reserve(texts.size());
    size_t n_duplicates = 0;
    for (size_t i = 0; i < vocab.text.size(); ++i) {
        auto [it, inserted] = vocab.index.try_emplace(vocab.text[i], static_cast<int32_t>(i));
        if (!inserted) {
            it->second = static_cast<int32_t>(i);  // the last id wins, as in llama.cpp
            ++n_duplicates;
        }
    }
    if (n_duplicates > 0) {
        warn(fmt::format("{}: {} token texts occur more than once; the last id is used", kTokensKey,
                         n_duplicates));
    }
    return ok_status();
}

Status Tokenizer::Loader::load_bpe() {
    GS_ASSIGN_OR_RETURN(const std::string_view pre, md.get_string_or(kPreKey, ""));
    const detail::PreTokenizerSpec* spec = &detail::default_pre_tokenizer();
    if (pre.empty()) {
        warn(
            fmt::format("{} is missing: using GPT-2's pre-tokenizer regex; tokenization may "
                        "differ from the model's own",
                        kPreKey));
        tok.pre_name_ = "default";
    } else {
        spec = detail::find_pre_tokenizer(pre);
        if (spec == nullptr) {
            return unimplemented(fmt::format(
                "{} '{}' is not supported (known: gpt-2, llama-bpe, llama3, chatglm-bpe, glm4, "
                "qwen2, default)",
                kPreKey, pre));
        }
        tok.pre_name_ = std::string(pre);
    }
    auto merges = md.get_string_array(kMergesKey);
    if (!merges.ok()) return required(merges.status(), "needed by gpt2 (BPE) vocabularies");
    detail::BpeParams params{*merges, spec->regex, spec->ignore_merges};
    GS_ASSIGN_OR_RETURN(tok.model_, detail::make_bpe_model(tok.vocab_, params));
    GS_RETURN_IF_ERROR(load_special_ids());
    return load_flags(spec->add_bos);
}

Status Tokenizer::Loader::load_spm() {
    GS_ASSIGN_OR_RETURN(const std::string_view pre, md.get_string_or(kPreKey, "default"));
    tok.pre_name_ = std::string(pre);  // SentencePiece has no pre-tokenizer; informational only
    auto scores = md.get_float_array(kScoresKey);
    if (!scores.ok()) {
        return required(scores.status(), "needed by llama (SentencePiece) vocabularies");
    }
    detail::SpmParams params;
    params.scores = std::move(scores).value();
    GS_ASSIGN_OR_RETURN(params.add_space_prefix, md.get_bool_or(kAddSpacePrefixKey, true));
    tok.strip_leading_space_ = params.add_space_prefix;
    GS_RETURN_IF_ERROR(load_special_ids());
    GS_ASSIGN_OR_RETURN(params.unknown_id,
                        special_id("tokenizer.ggml.unknown_token_id", 0, TokenType::Unknown));
    GS_ASSIGN_OR_RETURN(tok.model_, detail::make_spm_model(tok.vocab_, std::move(params)));
    return load_flags(true);
}

Status Tokenizer::Loader::load_model() {
    auto model = md.get_string(kModelKey);
    if (!model.ok()) return required(model.status(), "it says which tokenizer the model uses");
    tok.model_name_ = std::string(*model);
    GS_RETURN_IF_ERROR(load_tokens());
    if (tok.model_name_ == "gpt2") return load_bpe();
    if (tok.model_name_ == "llama") return load_spm();
    return unimplemented(fmt::format("{} '{}' is not supported (expected gpt2 or llama)", kModelKey,
                                     tok.model_name_));
}

// The id stored under `key`; DataLoss when out of range. When the key is absent: `fallback`
// if that token exists and has `fallback_type` (SentencePiece's conventional ids, reported as
// a warning), else -1.
Result<int32_t> Tokenizer::Loader::special_id(std::string_view key, int32_t fallback,
                                              TokenType fallback_type) {
    auto id = md.get_u32(key);
    if (!id.ok()) {
        if (id.status().code() != StatusCode::NotFound) return id.status();
        const detail::Vocab& vocab = tok.vocab_;
        if (fallback < 0 || fallback >= vocab.n_tokens() ||
            vocab.type[static_cast<size_t>(fallback)] != fallback_type) {
            return -1;
        }
        warn(fmt::format("{} is missing: using id {} ('{}')", key, fallback,
                         vocab.text[static_cast<size_t>(fallback)]));
        return fallback;
    }
    if (*id >= static_cast<uint32_t>(tok.vocab_.n_tokens())) {
        return data_loss(
            fmt::format("{} = {} is out of range (n_vocab {})", key, *id, tok.vocab_.n_tokens()));
    }
    return static_cast<int32_t>(*id);
}

Status Tokenizer::Loader::load_special_ids() {
    const bool spm = tok.model_name_ == "llama";
    GS_ASSIGN_OR_RETURN(tok.bos_id_, special_id("tokenizer.ggml.bos_token_id", spm ? 1 : -1));
    GS_ASSIGN_OR_RETURN(tok.eos_id_, special_id("tokenizer.ggml.eos_token_id", spm ? 2 : -1));
    GS_ASSIGN_OR_RETURN(tok.eot_id_, special_id("tokenizer.ggml.eot_token_id"));
    GS_ASSIGN_OR_RETURN(tok.eom_id_, special_id("tokenizer.ggml.eom_token_id"));
    if (tok.eos_id_ < 0) warn("tokenizer.ggml.eos_token_id is missing: no end-of-sequence token");
    return ok_status();
}

Status Tokenizer::Loader::load_flags(bool add_bos_default) {
    GS_ASSIGN_OR_RETURN(tok.add_bos_, md.get_bool_or(kAddBosKey, add_bos_default));
    GS_ASSIGN_OR_RETURN(tok.add_eos_, md.get_bool_or(kAddEosKey, false));
    if (tok.add_bos_ && tok.bos_id_ < 0) {
        return data_loss(
            fmt::format("{} is true (or defaults to true for this vocabulary) but "
                        "there is no tokenizer.ggml.bos_token_id",
                        kAddBosKey));
    }
    if (tok.add_eos_ && tok.eos_id_ < 0) {
        return data_loss(
            fmt::format("{} is true but there is no tokenizer.ggml.eos_token_id", kAddEosKey));
    }
    return ok_status();
}

void Tokenizer::Loader::build_tables() {
    const detail::Vocab& vocab = tok.vocab_;
    tok.pieces_.resize(vocab.text.size());
    for (int32_t id = 0; id < vocab.n_tokens(); ++id) {
        const auto i = static_cast<size_t>(id);
        switch (vocab.type[i]) {
            case TokenType::Normal:
            case TokenType::Byte:
            case TokenType::Undefined: tok.pieces_[i] = tok.model_->decode_token(id); break;
            case TokenType::Control:
            case TokenType::Unknown:
            case TokenType::UserDefined:
                tok.pieces_[i] = vocab.text[i];
                if (!vocab.text[i].empty()) tok.specials_.push_back(id);
                break;
            case TokenType::Unused: break;
        }
    }
    std::stable_sort(tok.specials_.begin(), tok.specials_.end(), [&](int32_t a, int32_t b) {
        return vocab.text[static_cast<size_t>(a)].size() >
               vocab.text[static_cast<size_t>(b)].size();
    });
    auto& eog = tok.end_of_generation_;
    for (const int32_t id : {tok.eos_id_, tok.eot_id_, tok.eom_id_}) {
        if (id >= 0) eog.push_back(id);
    }
    const bool glm =
        tok.pre_name_ == "glm4" || tok.pre_name_ == "chatglm-bpe" || vocab.find("[gMASK]") >= 0;
    if (glm) {
        for (const std::string_view text : {"<|user|>", "<|observation|>", "<|endoftext|>"}) {
            if (const int32_t id = vocab.find(text); id >= 0) eog.push_back(id);
        }
    }
    std::sort(eog.begin(), eog.end());
    eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_metadata(const gguf::Metadata& md) {
    auto tok = std::make_unique<Tokenizer>(PrivateTag{});
    Loader loader{md, *tok};
    GS_RETURN_IF_ERROR(loader.load_model());
    loader.build_tables();
    return tok;
}

}  // namespace glmserve::tokenizer
