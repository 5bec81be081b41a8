#include "gateway/load_report.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace glmserve::gateway {

std::optional<LoadReport> parse_load_report(std::string_view body) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    const auto queued = json.find("queued_prompt_tokens");
    const auto kv = json.find("kv_cache");
    if (queued == json.end() || !queued->is_number_integer() || kv == json.end() ||
        !kv->is_object()) {
        return std::nullopt;
    }
    const auto usage = kv->find("usage");
    if (usage == kv->end() || !usage->is_number()) return std::nullopt;
    LoadReport r;
    r.queued_tokens = std::max<int64_t>(queued->get<int64_t>(), 0);
    const double u = usage->get<double>();
    r.kv_usage = std::isfinite(u) ? std::clamp(u, 0.0, 1.0) : 0.0;
    for (auto [name, out] : {std::pair{"waiting", &r.waiting}, std::pair{"running", &r.running}}) {
        const auto it = json.find(name);
        if (it != json.end() && it->is_number_integer()) {
            *out = std::max<int64_t>(it->get<int64_t>(), 0);
        }
    }
    return r;
}

}  // namespace glmserve::gateway
