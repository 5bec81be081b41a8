// The four built-in chat renderers and template detection (see chat_template.h).
#include "tokenizer/chat_template.h"

#include <fmt/format.h>

#include <array>

namespace glmserve::tokenizer {
namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

bool role_allowed(ChatTemplateKind kind, std::string_view role) {
    if (role == "system" || role == "user" || role == "assistant") return true;
    const bool glm = kind == ChatTemplateKind::Glm4 || kind == ChatTemplateKind::ChatGlm3;
    return glm && role == "observation";
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\n\r\f\v";
    const size_t first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

void render_glm(bool chatglm3, std::span<const ChatMessage> messages, bool add_generation_prompt,
                std::string& out) {
    out += chatglm3 ? "[gMASK]sop" : "[gMASK]<sop>";
    for (const ChatMessage& m : messages) {
        out += fmt::format("<|{}|>\n", m.role);
        if (chatglm3) out += ' ';
        out += m.content;
    }
    if (add_generation_prompt) out += "<|assistant|>";
}

void render_llama3(std::span<const ChatMessage> messages, bool add_generation_prompt,
                   std::string& out) {
    out += "<|begin_of_text|>";
    for (const ChatMessage& m : messages) {
        out += fmt::format("<|start_header_id|>{}<|end_header_id|>\n\n{}<|eot_id|>", m.role,
                           trim(m.content));
    }
    if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
}

void render_chatml(std::span<const ChatMessage> messages, bool add_generation_prompt,
                   std::string& out) {
    for (const ChatMessage& m : messages) {
        out += fmt::format("<|im_start|>{}\n{}<|im_end|>\n", m.role, m.content);
    }
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
}

struct NamedKind {
    std::string_view name;
    ChatTemplateKind kind;
};

constexpr std::array<NamedKind, 5> kNames = {{
    {"glm4", ChatTemplateKind::Glm4},
    {"chatglm3", ChatTemplateKind::ChatGlm3},
    {"llama3", ChatTemplateKind::Llama3},
    {"chatml", ChatTemplateKind::ChatMl},
    {"chatglm4", ChatTemplateKind::Glm4},  // llama.cpp's name for the same template
}};

}  // namespace

std::optional<ChatTemplateKind> detect_chat_template(std::string_view jinja_source) {
    if (contains(jinja_source, "[gMASK]<sop>")) return ChatTemplateKind::Glm4;
    if (contains(jinja_source, "[gMASK]sop")) return ChatTemplateKind::ChatGlm3;
    if (contains(jinja_source, "<|start_header_id|>") &&
        contains(jinja_source, "<|end_header_id|>")) {
        return ChatTemplateKind::Llama3;
    }
    if (contains(jinja_source, "<|im_start|>")) return ChatTemplateKind::ChatMl;
    return std::nullopt;
}

Result<ChatTemplateKind> parse_chat_template_name(std::string_view name) {
    for (const NamedKind& n : kNames) {
        if (n.name == name) return n.kind;
    }
    return invalid_argument(fmt::format(
        "chat template '{}' is not known (expected glm4, chatglm3, llama3 or chatml)", name));
}

std::string_view chat_template_name(ChatTemplateKind kind) {
    for (const NamedKind& n : kNames) {
        if (n.kind == kind) return n.name;
    }
    return "unknown";
}

Result<std::string> render_chat(ChatTemplateKind kind, std::span<const ChatMessage> messages,
                                bool add_generation_prompt) {
    for (size_t i = 0; i < messages.size(); ++i) {
        if (!role_allowed(kind, messages[i].role)) {
            return invalid_argument(fmt::format(
                "messages[{}].role '{}' is not supported by the {} chat template (allowed: "
                "system, user, assistant{})",
                i, messages[i].role, chat_template_name(kind),
                role_allowed(kind, "observation") ? ", observation" : ""));
        }
    }
    std::string out;
    switch (kind) {
        case ChatTemplateKind::Glm4: render_glm(false, messages, add_generation_prompt, out); break;
        case ChatTemplateKind::ChatGlm3:
            render_glm(true, messages, add_generation_prompt, out);
            break;
        case ChatTemplateKind::Llama3: render_llama3(messages, add_generation_prompt, out); break;
        case ChatTemplateKind::ChatMl: render_chatml(messages, add_generation_prompt, out); break;
    }
    return out;
}

Result<ChatTemplateKind> resolve_chat_template(const gguf::Metadata& md,
                                               std::string_view override_name) {
    if (!override_name.empty()) return parse_chat_template_name(override_name);
    if (md.contains("tokenizer.chat_template")) {
        GS_ASSIGN_OR_RETURN(const std::string_view source,
                            md.get_string("tokenizer.chat_template"));
        if (auto kind = detect_chat_template(source)) return *kind;
        return invalid_argument(
            "the model's chat template is not one glmserve knows; pass "
            "--chat-template glm4|chatglm3|llama3|chatml");
    }
    return invalid_argument("the model has no tokenizer.chat_template; pass --chat-template");
}

}  // namespace glmserve::tokenizer
