#include "http/api_keys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace glmserve::http {
namespace {

constexpr std::string_view kGoodFile =
    "# production keys\n"
    "\n"
    "sk-team-a-0123456789 name=team-a rpm=60 tpm=100000\n"
    "   # indented comment\n"
    "sk-anon-abcdefgh\r\n"
    "\tsk-team-b-zyxwvuts\ttpm=0   name=team-b   # unlimited tokens\n"
    "sk-rpm-only-1234 rpm=0";

TEST(ApiKeys, ParsesKeysNamesAndLimitsSkippingCommentsAndBlanks) {
    const auto keys = ApiKeys::parse(kGoodFile);
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    ASSERT_TRUE(keys->enabled());
    const auto& k = keys->keys();
    ASSERT_EQ(k.size(), 4u);

    EXPECT_EQ(k[0].name, "team-a");
    EXPECT_EQ(k[0].index, 0u);
    EXPECT_EQ(k[0].requests_per_minute, 60);
    EXPECT_EQ(k[0].tokens_per_minute, 100000);

    EXPECT_EQ(k[1].name, "key-1");  // unnamed: by index
    EXPECT_EQ(k[1].index, 1u);
    EXPECT_FALSE(k[1].requests_per_minute.has_value());  // server default
    EXPECT_FALSE(k[1].tokens_per_minute.has_value());

    EXPECT_EQ(k[2].name, "team-b");
    EXPECT_FALSE(k[2].requests_per_minute.has_value());
    EXPECT_EQ(k[2].tokens_per_minute, 0);  // unlimited

    EXPECT_EQ(k[3].name, "key-3");
    EXPECT_EQ(k[3].requests_per_minute, 0);
}

// The error for `text` (which must fail), checked to name `line` and to contain no `secret`.
std::string parse_error(std::string_view text, int line, std::string_view secret) {
    const auto keys = ApiKeys::parse(text);
    EXPECT_FALSE(keys.ok()) << text;
    if (keys.ok()) return {};
    EXPECT_EQ(keys.status().code(), StatusCode::InvalidArgument);
    const std::string& message = keys.status().message();
    EXPECT_NE(message.find("line " + std::to_string(line)), std::string::npos) << message;
    if (!secret.empty()) {
        EXPECT_EQ(message.find(secret), std::string::npos) << message;
    }
    return message;
}

TEST(ApiKeys, BadLinesAreRefusedNamingTheLineButNeverTheKey) {
    parse_error("# c\nsk-good-12345678\nshort7\n", 3, "short7");
    parse_error("sk-good-12345678 rpm=abc\n", 1, "sk-good");
    parse_error("sk-good-12345678 rpm=-1\n", 1, "sk-good");
    parse_error("sk-good-12345678 tpm=1000000000001\n", 1, "sk-good");
    parse_error("sk-good-12345678 rpm=1.5\n", 1, "sk-good");
    parse_error("sk-good-12345678 rpm=\n", 1, "sk-good");
    parse_error("sk-good-12345678 rpm=1 rpm=2\n", 1, "sk-good");
    parse_error("sk-good-12345678 name=a name=b\n", 1, "sk-good");
    parse_error("sk-good-12345678 name=has/slash\n", 1, "sk-good");
    parse_error("sk-good-12345678 name=\n", 1, "sk-good");
    parse_error("sk-good-12345678 name=" + std::string(65, 'n') + "\n", 1, "sk-good");
    // Two keys on one line: the second is reported as a field, never echoed.
    const std::string message =
        parse_error("\n\nsk-first-12345678 sk-second-secret\n", 3, "sk-second-secret");
    EXPECT_NE(message.find("field 2"), std::string::npos) << message;
    parse_error("sk-ctrl-\x01-12345678\n", 1, "sk-ctrl");
    parse_error("sk-non-ascii-\xc3\xa9-12345678\n", 1, "sk-non-ascii");
    parse_error("sk-del-\x7f-12345678\n", 1, "sk-del");
}

TEST(ApiKeys, KeyLengthBoundsAreInclusive) {
    EXPECT_TRUE(ApiKeys::parse(std::string(8, 'k')).ok());
    EXPECT_TRUE(ApiKeys::parse(std::string(256, 'k')).ok());
    parse_error(std::string(7, 'k'), 1, "");
    parse_error("sk-ok-12345678\n" + std::string(257, 'k'), 2, "");
}

TEST(ApiKeys, DuplicateKeysAreRefusedWithBothLines) {
    const std::string message = parse_error(
        "sk-dup-12345678 name=a\nsk-other-1234567\nsk-dup-12345678 name=b\n", 3, "sk-dup");
    EXPECT_NE(message.find("duplicate"), std::string::npos) << message;
    EXPECT_NE(message.find("line 1"), std::string::npos) << message;
}

TEST(ApiKeys, AFileWithoutKeysIsAnErrorNotAuthDisabled) {
    EXPECT_FALSE(ApiKeys::parse("").ok());
    EXPECT_FALSE(ApiKeys::parse("# only a comment\n\n   \n").ok());
    EXPECT_FALSE(ApiKeys{}.enabled());
}

class ApiKeysFile : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("glmserve_api_keys_test_" + std::to_string(getpid()) + ".txt");
    }
    void TearDown() override { std::filesystem::remove(path_); }
    void write(std::string_view text) { std::ofstream(path_, std::ios::binary) << text; }
    std::filesystem::path path_;
};

TEST_F(ApiKeysFile, LoadsAFileAndNamesItInErrors) {
    write(kGoodFile);
    const auto keys = ApiKeys::load(path_.string());
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    EXPECT_EQ(keys->keys().size(), 4u);

    write("sk-good-12345678\nsk-good-12345678 rpm=x\n");
    const auto bad = ApiKeys::load(path_.string());
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find(path_.string()), std::string::npos);
    EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
    EXPECT_EQ(bad.status().message().find("sk-good"), std::string::npos);

    const auto missing = ApiKeys::load(path_.string() + ".absent");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
    EXPECT_NE(missing.status().message().find(".absent"), std::string::npos);
}

TEST(ApiKeys, AuthenticatesBearerKeys) {
    const auto keys = ApiKeys::parse(kGoodFile);
    ASSERT_TRUE(keys.ok());
    const KeyInfo* a = keys->authenticate("Bearer sk-team-a-0123456789");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, "team-a");
    EXPECT_EQ(a->index, 0u);
    const KeyInfo* b = keys->authenticate("Bearer sk-team-b-zyxwvuts");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->index, 2u);
    EXPECT_EQ(keys->authenticate("Bearer sk-rpm-only-1234"), &keys->keys()[3]);
}

TEST(ApiKeys, SchemeIsCaseInsensitiveAndBlanksAroundTheKeyAreIgnored) {
    const auto keys = ApiKeys::parse(kGoodFile);
    ASSERT_TRUE(keys.ok());
    for (const char* header :
         {"bearer sk-anon-abcdefgh", "BEARER sk-anon-abcdefgh", "BeArEr sk-anon-abcdefgh",
          "Bearer   sk-anon-abcdefgh  ", " Bearer\tsk-anon-abcdefgh"}) {
        const KeyInfo* info = keys->authenticate(header);
        ASSERT_NE(info, nullptr) << header;
        EXPECT_EQ(info->index, 1u) << header;
    }
}

TEST(ApiKeys, RefusesWrongOrMalformedCredentials) {
    const auto keys = ApiKeys::parse(kGoodFile);
    ASSERT_TRUE(keys.ok());
    for (const char* header : {
             "",
             "Bearer",
             "Bearer ",
             "Bearer    ",
             "sk-anon-abcdefgh",          // no scheme
             "Bearersk-anon-abcdefgh",    // no separator
             "Basic sk-anon-abcdefgh",    // other scheme
             "Bearer sk-anon-abcdefg",    // prefix of a key
             "Bearer sk-anon-abcdefghi",  // key plus one byte
             "Bearer SK-ANON-ABCDEFGH",   // keys are case-sensitive
             "Bearer sk-anon-abcdefgh sk-team-b-zyxwvuts",
             "Bearer wrong-key-00000000",
         }) {
        EXPECT_EQ(keys->authenticate(header), nullptr) << header;
    }
    EXPECT_EQ(keys->authenticate("Bearer " + std::string(300, 'k')), nullptr);
}

TEST(ApiKeys, DisabledKeysAuthenticateNobody) {
    const ApiKeys none;
    EXPECT_FALSE(none.enabled());
    EXPECT_EQ(none.authenticate("Bearer sk-anything-123"), nullptr);
}

}  // namespace
}  // namespace glmserve::http
