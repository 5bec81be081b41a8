#include "common/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace glmserve {
namespace {

Result<int> parse_positive(int v) {
    if (v <= 0) return invalid_argument("value must be positive, got " + std::to_string(v));
    return v;
}

Result<int> doubled(int v) {
    GS_ASSIGN_OR_RETURN(const int p, parse_positive(v));
    return 2 * p;
}

Status check_both(int a, int b) {
    GS_RETURN_IF_ERROR(parse_positive(a));
    GS_RETURN_IF_ERROR(parse_positive(b));
    return ok_status();
}

TEST(Status, DefaultIsOk) {
    const Status s;
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(s.to_string(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
    const Status s = data_loss("tensor 'x' is truncated");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::DataLoss);
    EXPECT_EQ(s.to_string(), "DataLoss: tensor 'x' is truncated");
    const Status c = s.with_context("model.gguf");
    EXPECT_EQ(c.code(), StatusCode::DataLoss);
    EXPECT_EQ(c.message(), "model.gguf: tensor 'x' is truncated");
}

TEST(Result, HoldsValueOrError) {
    auto good = parse_positive(3);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 3);
    EXPECT_TRUE(good.status().ok());
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::InvalidArgument);
}

TEST(Result, MoveOnlyValues) {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 7);
}

TEST(Macros, PropagateErrorsAndValues) {
    EXPECT_EQ(*doubled(4), 8);
    EXPECT_EQ(doubled(0).status().code(), StatusCode::InvalidArgument);
    EXPECT_TRUE(check_both(1, 2).ok());
    EXPECT_NE(check_both(1, -7).message().find("-7"), std::string::npos);
}

TEST(ResultDeathTest, ValueOfAnErrorIsAProgrammerError) {
    auto bad = parse_positive(-1);
    EXPECT_DEATH((void)bad.value(), "GS_CHECK failed");
}

}  // namespace
}  // namespace glmserve
