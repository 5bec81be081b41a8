// Chat templates: exact prompt strings for each kind, detection from template sources, names,
// and role validation.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <vector>

#include "tokenizer/test_util.h"

namespace glmserve::tokenizer {
namespace {

std::string render(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                   bool add_generation_prompt = true) {
    auto text = render_chat(kind, messages, add_generation_prompt);
    EXPECT_TRUE(text.ok()) << text.status().to_string();
    return text.ok() ? *text : std::string();
}

const std::vector<ChatMessage> kSystemUser = {{"system", "You are helpful"}, {"user", "Hi"}};

TEST(ChatTemplate, Glm4MatchesTheOfficialTemplate) {
    // glm-gguf.md §5.1: no newline after the final <|assistant|>.
    EXPECT_EQ(render(ChatTemplateKind::Glm4, kSystemUser),
              "[gMASK]<sop><|system|>\nYou are helpful<|user|>\nHi<|assistant|>");
    EXPECT_EQ(render(ChatTemplateKind::Glm4,
                     {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "How are you?"}}),
              "[gMASK]<sop><|user|>\nHi<|assistant|>\nHello!<|user|>\nHow are you?<|assistant|>");
    EXPECT_EQ(render(ChatTemplateKind::Glm4, {{"observation", "{\"t\": 21}"}}, false),
              "[gMASK]<sop><|observation|>\n{\"t\": 21}");
    EXPECT_EQ(render(ChatTemplateKind::Glm4, {}), "[gMASK]<sop><|assistant|>");
}

TEST(ChatTemplate, ChatGlm3) {
    EXPECT_EQ(render(ChatTemplateKind::ChatGlm3, kSystemUser),
              "[gMASK]sop<|system|>\n You are helpful<|user|>\n Hi<|assistant|>");
}

TEST(ChatTemplate, Llama3) {
    EXPECT_EQ(render(ChatTemplateKind::Llama3, kSystemUser),
              "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful"
              "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n");
    // Content is trimmed, as the official template does.
    EXPECT_EQ(render(ChatTemplateKind::Llama3, {{"user", "  Hi\n"}}, false),
              "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
}

TEST(ChatTemplate, ChatMl) {
    EXPECT_EQ(render(ChatTemplateKind::ChatMl, kSystemUser),
              "<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\n");
    EXPECT_EQ(render(ChatTemplateKind::ChatMl, {{"user", "Hi"}}, false),
              "<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ChatTemplate, RejectsUnknownRolesByName) {
    const std::vector<ChatMessage> bad = {{"user", "Hi"}, {"wizard", "boo"}};
    for (const auto kind : {ChatTemplateKind::Glm4, ChatTemplateKind::ChatGlm3,
                            ChatTemplateKind::Llama3, ChatTemplateKind::ChatMl}) {
        auto text = render_chat(kind, bad, true);
        ASSERT_FALSE(text.ok());
        EXPECT_EQ(text.status().code(), StatusCode::InvalidArgument);
        EXPECT_NE(text.status().message().find("messages[1].role 'wizard'"), std::string::npos)
            << text.status().message();
    }
    // observation is a GLM role only.
    const std::vector<ChatMessage> tool = {{"observation", "42"}};
    EXPECT_TRUE(render_chat(ChatTemplateKind::ChatGlm3, tool, true).ok());
    EXPECT_FALSE(render_chat(ChatTemplateKind::ChatMl, tool, true).ok());
    EXPECT_FALSE(render_chat(ChatTemplateKind::Llama3, tool, true).ok());
}

TEST(ChatTemplate, DetectsFromTemplateSources) {
    // Abridged from the published templates.
    const std::string glm4 =
        "[gMASK]<sop>{% for item in messages %}{% if item['role'] == 'user' %}<|user|>\n"
        "{{ item['content'] }}{% elif item['role'] == 'assistant' %}<|assistant|>\n"
        "{{ item['content'] }}{% endif %}{% endfor %}{% if add_generation_prompt %}"
        "<|assistant|>{% endif %}";
    const std::string chatglm3 =
        "{% for message in messages %}{% if loop.first %}[gMASK]sop<|{{ message['role'] }}|>\n "
        "{{ message['content'] }}{% else %}<|{{ message['role'] }}|>\n {{ message['content'] }}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
    const std::string llama3 =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] "
        "| trim + '<|eot_id|>' %}{{ content }}{% endfor %}";
    const std::string chatml =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
        "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}";
    EXPECT_EQ(detect_chat_template(glm4), ChatTemplateKind::Glm4);
    EXPECT_EQ(detect_chat_template(chatglm3), ChatTemplateKind::ChatGlm3);
    EXPECT_EQ(detect_chat_template(llama3), ChatTemplateKind::Llama3);
    EXPECT_EQ(detect_chat_template(chatml), ChatTemplateKind::ChatMl);
    EXPECT_EQ(detect_chat_template("{{ messages }}"), std::nullopt);
    EXPECT_EQ(detect_chat_template(""), std::nullopt);
    EXPECT_EQ(detect_chat_template(testing::builtin_spec().chat_template), ChatTemplateKind::Glm4);
}

TEST(ChatTemplate, Names) {
    for (const auto kind : {ChatTemplateKind::Glm4, ChatTemplateKind::ChatGlm3,
                            ChatTemplateKind::Llama3, ChatTemplateKind::ChatMl}) {
        auto parsed = parse_chat_template_name(chat_template_name(kind));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, kind);
    }
    EXPECT_EQ(chat_template_name(ChatTemplateKind::Glm4), "glm4");
    EXPECT_EQ(*parse_chat_template_name("chatglm4"), ChatTemplateKind::Glm4);
    EXPECT_EQ(parse_chat_template_name("vicuna").status().code(), StatusCode::InvalidArgument);
}

// The rendered GLM-4 prompt tokenizes into the expected special tokens with parse_special.
TEST(ChatTemplate, Glm4PromptTokenizesWithSpecials) {
    auto tok = testing::builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const auto ids = testing::must_encode(**tok, render(ChatTemplateKind::Glm4, kSystemUser));
    ASSERT_GE(ids.size(), 4u);
    EXPECT_EQ(ids[0], (*tok)->find_token("[gMASK]"));
    EXPECT_EQ(ids[1], (*tok)->find_token("<sop>"));
    EXPECT_EQ(ids[2], (*tok)->find_token("<|system|>"));
    EXPECT_EQ(ids.back(), (*tok)->find_token("<|assistant|>"));
}

}  // namespace
}  // namespace glmserve::tokenizer
