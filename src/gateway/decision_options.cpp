#include "gateway/decision_options.h"

namespace glmserve::gateway {

BreakerOptions breaker_options(const BreakerConfig& c) {
    return {.window = c.window,
            .min_requests = c.min_requests,
            .failure_rate = c.failure_rate,
            .open_duration = c.open_duration,
            .half_open_probes = c.half_open_probes};
}

OutlierOptions outlier_options(const OutlierConfig& c) {
    return {.consecutive_5xx = c.consecutive_5xx,
            .consecutive_gateway_errors = c.consecutive_gateway_errors,
            .base_ejection = c.base_ejection,
            .max_ejection = c.max_ejection,
            .max_ejected_fraction = c.max_ejected_fraction};
}

RetryBudgetOptions retry_budget_options(const RetryConfig& c) {
    return {.ratio = c.budget_ratio, .window = c.budget_window, .min_per_window = c.min_retries};
}

Status validate_decision_options(const GatewayConfig& config) {
    if (auto s = validate(breaker_options(config.breaker)); !s.ok()) {
        return s.with_context("breaker");
    }
    if (auto s = validate(outlier_options(config.outlier)); !s.ok()) {
        return s.with_context("outlier");
    }
    if (auto s = validate(retry_budget_options(config.retries)); !s.ok()) {
        return s.with_context("retries");
    }
    return ok_status();
}

}  // namespace glmserve::gateway
