// Chat templates: turning a list of messages into the prompt text a chat model was trained on
// (../shared/reference/glm-gguf.md §5). Four built-in renderers, chosen by name or detected from
// the Jinja source in tokenizer.chat_template; no Jinja engine.
//
//   Glm4     [gMASK]<sop>  then <|role|>\n{content} per message; generation prompt <|assistant|>
//            (the official glm-4-9b-chat / GLM-4-0414 form, with no newline after <|assistant|>:
//            the model writes it. llama.cpp's built-in chatglm4 adds "\n"; we follow the
//            official template, §5.1/§5.2). Roles: system, user, assistant, observation.
//   ChatGlm3 [gMASK]sop  then <|role|>\n {content}; generation prompt <|assistant|>. Same roles.
//   Llama3   <|begin_of_text|> then <|start_header_id|>role<|end_header_id|>\n\n{content}<|eot_id|>
//            with content trimmed of surrounding whitespace as the official template does;
//            generation prompt <|start_header_id|>assistant<|end_header_id|>\n\n.
//   ChatMl   <|im_start|>role\n{content}<|im_end|>\n; generation prompt <|im_start|>assistant\n.
//            Roles for Llama3 and ChatMl: system, user, assistant.
//
// The rendered text already holds every special token the model needs: encode it with
// parse_special = true and add_special = false (a Llama-3 vocabulary has add_bos on, and
// add_special would double <|begin_of_text|>). Message content is inserted verbatim; callers
// that store GLM replies should drop the reply's leading "\n" (the template adds its own).
// Thread: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gguf/metadata.h"

namespace glmserve::tokenizer {

struct ChatMessage {
    std::string role;
    std::string content;
};

enum class ChatTemplateKind { Glm4, ChatGlm3, Llama3, ChatMl };

// Substring rules after llama.cpp's llm_chat_detect_template (§5.3), first match wins:
// "[gMASK]<sop>" -> Glm4; "[gMASK]sop" -> ChatGlm3; "<|start_header_id|>" and
// "<|end_header_id|>" -> Llama3; "<|im_start|>" -> ChatMl; otherwise nullopt.
std::optional<ChatTemplateKind> detect_chat_template(std::string_view jinja_source);

// "glm4" (alias "chatglm4"), "chatglm3", "llama3", "chatml"; InvalidArgument otherwise.
Result<ChatTemplateKind> parse_chat_template_name(std::string_view name);

// The template to use for a model: `override_name` when not empty, else the one detected from
// the file's tokenizer.chat_template. InvalidArgument saying what to pass when the file has
// none or one we do not know.
Result<ChatTemplateKind> resolve_chat_template(const gguf::Metadata& md,
                                               std::string_view override_name);
std::string_view chat_template_name(ChatTemplateKind kind);

// InvalidArgument naming the message index and role when a role is not allowed for `kind`.
Result<std::string> render_chat(ChatTemplateKind kind, std::span<const ChatMessage> messages,
                                bool add_generation_prompt);

}  // namespace glmserve::tokenizer
