// The options of the gateway's decision classes (circuit breaker, outlier detector, retry
// budget), made from the matching GatewayConfig sections. Config validation runs each class's
// own validate() on them, so a config that loads never trips those classes' GS_CHECKs.
// Thread: pure functions.
#pragma once

#include "gateway/circuit_breaker.h"
#include "gateway/gateway_config.h"
#include "gateway/outlier_detector.h"
#include "gateway/retry_budget.h"

namespace glmserve::gateway {

BreakerOptions breaker_options(const BreakerConfig& config);
OutlierOptions outlier_options(const OutlierConfig& config);
RetryBudgetOptions retry_budget_options(const RetryConfig& config);

// validate() of all three, the message prefixed with the config section's name.
Status validate_decision_options(const GatewayConfig& config);

}  // namespace glmserve::gateway
