// Structured events and the JSON-lines formatter: every line parses as JSON, messages with
// quotes and control characters stay valid, event fields join the line's object.
#include "obs/event_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "obs/json_log_formatter.h"
#include "obs/logging.h"

namespace glmserve::obs {
namespace {

class EventLogTest : public ::testing::Test {
protected:
    EventLogTest()
        : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)), log_("test", sink_) {
        log_.set_level(spdlog::level::trace);
    }
    ~EventLogTest() override { setup_logging({}); }

    void json_mode() {
        setup_logging({.level = spdlog::level::info, .format = LogFormat::Json});
        log_.set_formatter(std::make_unique<JsonLogFormatter>());
    }
    void text_mode() {
        setup_logging({});
        log_.set_pattern("%v");
    }
    nlohmann::json only_line_as_json() {
        const std::string text = out_.str();
        EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
        auto j = nlohmann::json::parse(text, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
        return j;
    }

    std::ostringstream out_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
    spdlog::logger log_;
};

TEST_F(EventLogTest, JsonEventFieldsJoinTheLine) {
    json_mode();
    log_event(log_, spdlog::level::info, "request",
              {{"req", "abc"}, {"status", 200}, {"queue_s", 0.25}, {"route", "/v1/completions"}});
    const auto j = only_line_as_json();
    EXPECT_EQ(j["msg"], "request");
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["logger"], "test");
    EXPECT_EQ(j["req"], "abc");
    EXPECT_EQ(j["status"], 200);
    EXPECT_DOUBLE_EQ(j["queue_s"].get<double>(), 0.25);
    EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');
}

TEST_F(EventLogTest, JsonPlainMessagesWithQuotesAndControlCharactersStayValid) {
    json_mode();
    log_.info("a \"quoted\" path\\ with\nnewline and \x01 control");
    const auto j = only_line_as_json();
    EXPECT_EQ(j["msg"], "a \"quoted\" path\\ with\nnewline and \x01 control");
}

TEST_F(EventLogTest, InvalidUtf8InFieldsIsReplacedNotThrown) {
    json_mode();
    log_event(log_, spdlog::level::warn, "odd", {{"user", std::string("bad \xff\xfe bytes")}});
    const auto j = only_line_as_json();
    EXPECT_EQ(j["msg"], "odd");
    EXPECT_NE(j["user"].get<std::string>().find("bad"), std::string::npos);
}

TEST_F(EventLogTest, TextModeWritesKeyValuePairs) {
    text_mode();
    log_event(log_, spdlog::level::info, "request",
              {{"req", "abc"}, {"status", 200}, {"route", "/v1/chat completions"}});
    EXPECT_EQ(out_.str(), "request req=abc route=\"/v1/chat completions\" status=200\n");
}

TEST_F(EventLogTest, BelowTheLevelNothingIsWritten) {
    json_mode();
    log_.set_level(spdlog::level::warn);
    log_event(log_, spdlog::level::info, "request", {{"req", "abc"}});
    EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace glmserve::obs
