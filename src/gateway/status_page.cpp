#include "gateway/status_page.h"

#include <fmt/format.h>

namespace glmserve::gateway {
namespace {

// Kept plain on purpose: text is inserted with textContent (never innerHTML), so upstream
// names cannot inject markup.
constexpr std::string_view kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>glmserve gateway</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f0f0f0; }
.ok { background: #d8f5d8; } .bad { background: #f8d0d0; } .warn { background: #fbeec0; }
#summary span { margin-right: 1.5em; }
#error { color: #a00; }
</style>
</head>
<body>
<h1>glmserve gateway</h1>
<div id="summary">
  <span>state: <b id="state">…</b></span>
  <span>policy: <b id="policy">…</b></span>
  <span>available upstreams: <b id="available">…</b></span>
  <span>requests: <b id="requests">…</b></span>
  <span>retries: <b id="retries">…</b></span>
  <span>cache hits: <b id="cache_hits">…</b></span>
</div>
<div id="error"></div>
<table id="upstreams">
<thead><tr><th>upstream</th><th>url</th><th>state</th><th>health</th><th>breaker</th>
<th>in flight</th><th>pending</th><th>queued tokens</th><th>KV usage</th><th>ejections</th>
<th>requests</th><th>errors</th><th>latency p50 (s)</th></tr></thead>
<tbody></tbody>
</table>
<p><small>Refreshes every 2 s. Raw data: <a href="/gateway/status">/gateway/status</a>,
<a href="/metrics">/metrics</a>.</small></p>
<script>
function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}
function render(s) {
  document.getElementById('state').textContent = s.state;
  document.getElementById('policy').textContent = s.policy;
  document.getElementById('available').textContent = s.available + ' / ' + s.upstreams.length;
  document.getElementById('requests').textContent = s.requests;
  document.getElementById('retries').textContent = s.retries;
  document.getElementById('cache_hits').textContent = s.cache_hits;
  const body = document.querySelector('#upstreams tbody');
  body.replaceChildren();
  for (const u of s.upstreams) {
    const row = document.createElement('tr');
    row.id = 'upstream-' + u.name;
    cell(row, u.name + (u.backup ? ' (backup)' : ''));
    cell(row, u.url);
    cell(row, u.available ? 'available' : 'unavailable', u.available ? 'ok' : 'bad');
    cell(row, u.health, u.health === 'unhealthy' ? 'bad' : 'ok');
    cell(row, u.breaker, u.breaker === 'closed' ? 'ok' : (u.breaker === 'open' ? 'bad' : 'warn'));
    cell(row, u.in_flight);
    cell(row, u.pending);
    cell(row, u.queued_tokens === null ? '-' : u.queued_tokens);
    cell(row, u.kv_usage === null ? '-' : (100 * u.kv_usage).toFixed(0) + '%');
    cell(row, u.ejections + (u.ejected ? ' (ejected)' : ''), u.ejected ? 'bad' : '');
    cell(row, u.requests);
    cell(row, u.errors);
    cell(row, u.latency_p50_s === null ? '-' : u.latency_p50_s.toFixed(3));
    body.appendChild(row);
  }
  document.body.dataset.loaded = 'true';
}
async function refresh() {
  try {
    const r = await fetch('/gateway/status', {cache: 'no-store'});
    render(await r.json());
    document.getElementById('error').textContent = '';
  } catch (e) {
    document.getElementById('error').textContent = 'cannot reach the gateway: ' + e;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";

// The upper bound of the bucket holding the median, or null without observations.
nlohmann::json median_seconds(const obs::Histogram& h) {
    const obs::Histogram::Snapshot s = h.snapshot();
    if (s.count == 0) return nullptr;
    const uint64_t half = (s.count + 1) / 2;
    for (size_t i = 0; i < s.upper_bounds.size(); ++i) {
        if (s.cumulative_counts[i] >= half) return s.upper_bounds[i];
    }
    return s.upper_bounds.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.upper_bounds.back());
}

}  // namespace

std::string_view status_page_html() {
    return kPage;
}

nlohmann::json gateway_status_json(GatewayRuntime& rt, bool draining, Clock::time_point now) {
    nlohmann::json upstreams = nlohmann::json::array();
    size_t available = 0;
    const std::vector<UpstreamStatus> status = rt.pool().status(now);
    for (size_t i = 0; i < status.size(); ++i) {
        const UpstreamStatus& u = status[i];
        const UpstreamMetrics& m = rt.upstream_metrics(i);
        if (u.available) ++available;
        upstreams.push_back(
            {{"name", u.name},
             {"url", u.url},
             {"weight", u.weight},
             {"backup", u.backup},
             {"available", u.available},
             {"health", health_name(u.health)},
             {"breaker", breaker_state_name(u.breaker)},
             {"ejected", u.ejected},
             {"ejections", u.ejections},
             {"in_flight", u.in_flight},
             {"pending", u.pending},
             {"queued_tokens", u.load ? nlohmann::json(u.load->queued_tokens) : nullptr},
             {"kv_usage", u.load ? nlohmann::json(u.load->kv_usage) : nullptr},
             {"requests", m.requests.value()},
             {"errors", m.errors_5xx.value() + m.errors_connect.value() + m.errors_timeout.value()},
             {"latency_p50_s", median_seconds(m.latency)}});
    }
    GatewayMetrics& gm = rt.metrics();
    return {{"state", draining ? "draining" : (available > 0 ? "ready" : "no_upstream")},
            {"policy", rt.config().policy},
            {"available", available},
            {"requests", gm.requests.value()},
            {"retries", gm.retries.value()},
            {"retry_budget_exhausted", gm.retry_budget_exhausted.value()},
            {"cache_hits", gm.cache_hits.value()},
            {"cache_misses", gm.cache_misses.value()},
            {"stream_errors", gm.stream_errors.value()},
            {"upstreams", std::move(upstreams)}};
}

}  // namespace glmserve::gateway
