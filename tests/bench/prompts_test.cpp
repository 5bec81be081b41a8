#include "bench/prompts.h"

#include <gtest/gtest.h>

namespace glmserve::bench {
namespace {

int64_t words(const std::string& s) {
    return s.empty() ? 0 : 1 + static_cast<int64_t>(std::count(s.begin(), s.end(), ' '));
}

TEST(Prompts, LengthRangeParsing) {
    auto fixed = parse_length_range("128");
    ASSERT_TRUE(fixed.ok());
    EXPECT_EQ(fixed->min, 128);
    EXPECT_EQ(fixed->max, 128);
    auto range = parse_length_range("64:256");
    ASSERT_TRUE(range.ok());
    EXPECT_EQ(range->min, 64);
    EXPECT_EQ(range->max, 256);
    EXPECT_FALSE(parse_length_range("0").ok());
    EXPECT_FALSE(parse_length_range("12x").ok());
    EXPECT_FALSE(parse_length_range("9:3").ok());
    EXPECT_FALSE(parse_length_range(":3").ok());
}

TEST(Prompts, SyntheticFixedLengths) {
    const auto prompts = make_synthetic_prompts(
        {.prompt_tokens = {.min = 50, .max = 50}, .output_tokens = {.min = 7, .max = 7}, .seed = 1},
        20);
    ASSERT_EQ(prompts.size(), 20u);
    for (const auto& p : prompts) {
        EXPECT_EQ(words(p.prompt), 50);
        EXPECT_EQ(p.n_tokens_prompt_estimate, 50);
        EXPECT_EQ(p.max_tokens, 7);
        EXPECT_TRUE(p.messages_json.empty());
    }
}

TEST(Prompts, SyntheticRangesStayInsideAndSeedRepeats) {
    const SyntheticPromptSpec spec{
        .prompt_tokens = {.min = 10, .max = 20}, .output_tokens = {.min = 1, .max = 4}, .seed = 42};
    const auto a = make_synthetic_prompts(spec, 200);
    const auto b = make_synthetic_prompts(spec, 200);
    bool saw_lo = false, saw_hi = false;
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].prompt, b[i].prompt);
        EXPECT_EQ(a[i].max_tokens, b[i].max_tokens);
        const int64_t n = words(a[i].prompt);
        EXPECT_GE(n, 10);
        EXPECT_LE(n, 20);
        saw_lo |= n == 10;
        saw_hi |= n == 20;
        EXPECT_GE(*a[i].max_tokens, 1);
        EXPECT_LE(*a[i].max_tokens, 4);
    }
    EXPECT_TRUE(saw_lo && saw_hi);
    auto other = spec;
    other.seed = 43;
    EXPECT_NE(make_synthetic_prompts(other, 1)[0].prompt, a[0].prompt);
}

TEST(Prompts, WordsForTokensRoundsAndKeepsOneWord) {
    EXPECT_EQ(words_for_tokens(128, 1.0), 128);
    EXPECT_EQ(words_for_tokens(100, 2.0), 50);
    EXPECT_EQ(words_for_tokens(128, 2.14), 60);  // 59.8
    EXPECT_EQ(words_for_tokens(101, 2.0), 51);   // 50.5 rounds away from zero
    EXPECT_EQ(words_for_tokens(10, 0.5), 20);    // a vocabulary with multi-word tokens
    EXPECT_EQ(words_for_tokens(1, 3.0), 1);      // never an empty prompt
    EXPECT_EQ(words_for_tokens(3, 7.5), 1);
}

TEST(Prompts, CalibratedPromptsAimAtTheTargetTokens) {
    const SyntheticPromptSpec estimate{.prompt_tokens = {.min = 64, .max = 256}, .seed = 9};
    SyntheticPromptSpec calibrated = estimate;
    calibrated.tokens_per_word = 2.5;
    const auto a = make_synthetic_prompts(estimate, 50);
    const auto b = make_synthetic_prompts(calibrated, 50);
    for (size_t i = 0; i < a.size(); ++i) {
        // The same length draws: the target is a's word count, b has round(target / 2.5) words.
        const int64_t target = words(a[i].prompt);
        EXPECT_EQ(words(b[i].prompt), words_for_tokens(target, 2.5)) << i;
        EXPECT_NEAR(static_cast<double>(b[i].n_tokens_prompt_estimate), static_cast<double>(target),
                    1.25)
            << i;
        EXPECT_EQ(a[i].max_tokens, b[i].max_tokens);
    }
    EXPECT_EQ(make_synthetic_prompts(calibrated, 50)[17].prompt, b[17].prompt);
    // The words are the sample's stream: the first prompt starts the calibration text.
    EXPECT_EQ(synthetic_word_sample(9, 1000).rfind(b[0].prompt + " ", 0), 0u);
}

TEST(Prompts, WordSampleIsTheSeededStream) {
    const std::string s = synthetic_word_sample(5, 1000);
    EXPECT_EQ(words(s), 1000);
    EXPECT_EQ(s, synthetic_word_sample(5, 1000));
    EXPECT_NE(s, synthetic_word_sample(6, 1000));
    EXPECT_EQ(synthetic_word_sample(5, 10), s.substr(0, synthetic_word_sample(5, 10).size()));
    EXPECT_EQ(synthetic_word_sample(5, 0), "");
}

TEST(Prompts, JsonlPromptsAndMessages) {
    const auto r = parse_jsonl_prompts(
        "{\"prompt\": \"hello there world\", \"max_tokens\": 5}\n"
        "\n"
        "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"},"
        " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}]}\n");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].prompt, "hello there world");
    EXPECT_EQ((*r)[0].max_tokens, 5);
    EXPECT_EQ((*r)[0].n_tokens_prompt_estimate, 3);
    EXPECT_FALSE((*r)[1].max_tokens.has_value());
    EXPECT_NE((*r)[1].messages_json.find("\"system\""), std::string::npos);
    EXPECT_EQ((*r)[1].prompt, "be brief\nhi\n");
}

TEST(Prompts, MalformedLinesNameTheLine) {
    const struct {
        const char* text;
        const char* expect;
    } cases[] = {
        {"{\"prompt\": \"ok\"}\n{oops\n", "line 2: not valid JSON"},
        {"[1]\n", "line 1: not a JSON object"},
        {"{\"prompt\": 3}\n", "line 1: \"prompt\" is not a string"},
        {"\n\n{\"text\": \"x\"}\n", "line 3: needs a \"prompt\""},
        {"{\"prompt\": \"x\", \"max_tokens\": 0}", "line 1: \"max_tokens\""},
        {"{\"messages\": []}", "line 1: \"messages\""},
        {"{\"messages\": [{\"content\": \"x\"}]}", "messages[0] has no string \"role\""},
    };
    for (const auto& c : cases) {
        const auto r = parse_jsonl_prompts(c.text);
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    }
    EXPECT_EQ(load_jsonl_prompts("/nonexistent.jsonl").status().code(), StatusCode::NotFound);
}

}  // namespace
}  // namespace glmserve::bench
