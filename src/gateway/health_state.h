// HealthState: one upstream's verdict from active health checks, with rise/fall hysteresis so
// a single lost probe does not flap a replica out of rotation.
//
// An upstream starts Unknown and is routed to (a freshly started gateway must not refuse all
// traffic until the first round of checks is in); the first check result decides at once,
// then it takes `rise` consecutive successes to turn Unhealthy → Healthy and `fall`
// consecutive failures to turn Healthy → Unhealthy.
// Thread: a value; the owner serialises calls (UpstreamPool's lock).
#pragma once

#include <string_view>

namespace glmserve::gateway {

enum class Health { Unknown, Healthy, Unhealthy };

// "unknown" / "healthy" / "unhealthy".
std::string_view health_name(Health health);

class HealthState {
public:
    HealthState(int rise, int fall) : rise_(rise), fall_(fall) {}

    // Records one check; true when the verdict changed.
    bool record(bool ok);

    Health health() const { return health_; }
    // Unknown counts as routable.
    bool routable() const { return health_ != Health::Unhealthy; }

private:
    int rise_;
    int fall_;
    Health health_ = Health::Unknown;
    int run_ = 0;  // consecutive results against the current verdict
};

}  // namespace glmserve::gateway
