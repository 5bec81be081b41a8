#include "engine/logprobs.h"

#include <algorithm>
#include <cmath>

namespace glmserve::engine {

float log_normalizer(std::span<const float> logits) {
    if (logits.empty()) return 0.0f;
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - max));
    return max + static_cast<float>(std::log(sum));
}

void top_logprobs(std::span<const float> logits, float log_z, int32_t k,
                  std::vector<std::pair<int32_t, float>>& out) {
    out.clear();
    const auto n = static_cast<int32_t>(logits.size());
    k = std::clamp(k, 0, n);
    if (k == 0) return;
    // A min-heap of the best k seen so far: O(n log k), no copy of the row.
    const auto worse = [](const std::pair<int32_t, float>& a, const std::pair<int32_t, float>& b) {
        return a.second > b.second || (a.second == b.second && a.first < b.first);
    };
    for (int32_t id = 0; id < n; ++id) {
        const float l = logits[static_cast<size_t>(id)];
        if (static_cast<int32_t>(out.size()) < k) {
            out.emplace_back(id, l);
            std::push_heap(out.begin(), out.end(), worse);
        } else if (l > out.front().second) {
            std::pop_heap(out.begin(), out.end(), worse);
            out.back() = {id, l};
            std::push_heap(out.begin(), out.end(), worse);
        }
    }
    std::sort_heap(out.begin(), out.end(), worse);
    for (auto& [id, l] : out) l -= log_z;
}

}  // namespace glmserve::engine
