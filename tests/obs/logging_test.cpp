#include "obs/logging.h"

#include <gtest/gtest.h>

namespace glmserve::obs {
namespace {

TEST(Logging, ParsesLevelNamesAndRejectsOthers) {
    EXPECT_EQ(*parse_log_level("debug"), spdlog::level::debug);
    EXPECT_EQ(*parse_log_level("warn"), spdlog::level::warn);
    EXPECT_EQ(*parse_log_level("warning"), spdlog::level::warn);
    EXPECT_EQ(*parse_log_level("error"), spdlog::level::err);
    const auto bad = parse_log_level("loud");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("loud"), std::string::npos);
}

TEST(Logging, OneNamedLoggerPerModuleFollowingTheConfiguredLevel) {
    auto a = logger("engine");
    EXPECT_EQ(a, logger("engine"));
    EXPECT_EQ(a->name(), "engine");
    setup_logging({.level = spdlog::level::warn, .format = LogFormat::Json});
    EXPECT_EQ(a->level(), spdlog::level::warn);
    EXPECT_EQ(logger("model")->level(), spdlog::level::warn);
    setup_logging({});
    EXPECT_EQ(a->level(), spdlog::level::info);
}

}  // namespace
}  // namespace glmserve::obs
