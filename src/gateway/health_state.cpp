#include "gateway/health_state.h"

namespace glmserve::gateway {

std::string_view health_name(Health health) {
    switch (health) {
        case Health::Unknown: return "unknown";
        case Health::Healthy: return "healthy";
        case Health::Unhealthy: return "unhealthy";
    }
    return "unknown";
}

bool HealthState::record(bool ok) {
    const Health wanted = ok ? Health::Healthy : Health::Unhealthy;
    if (health_ == wanted) {
        run_ = 0;
        return false;
    }
    ++run_;
    const int needed = health_ == Health::Unknown ? 1 : (ok ? rise_ : fall_);
    if (run_ < needed) return false;
    health_ = wanted;
    run_ = 0;
    return true;
}

}  // namespace glmserve::gateway
