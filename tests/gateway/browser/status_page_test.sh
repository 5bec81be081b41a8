#!/usr/bin/env bash
# The gateway's status page in headless Chromium (issue #6): a real replica (`glmserve serve`
# on the demo model) behind `glmserve gateway`; the page's script must fetch /gateway/status
# and render the state, the policy and the replica's row, and a screenshot is written next to
# the test's files (status_page.png) for a person to look at.
#   status_page_test.sh GLMSERVE_BINARY WORK_DIR
# Exit 77 (CTest: skipped) when Chromium is not installed.
set -euo pipefail
glmserve=$1
work=$2
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
  echo "SKIP: chromium is not installed (scripts/install-deps installs it)"
  exit 77
fi
mkdir -p "$work"
rm -f "$work/status_page.png" "$work/dom.html"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() {  # a port nothing listens on right now
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}
wait_ok() {  # url, seconds
  for _ in $(seq $(($2 * 10))); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL: $1 never answered 200" >&2
  return 1
}

replica_port=$(free_port)
gateway_port=$(free_port)
"$glmserve" serve --host 127.0.0.1 --port "$replica_port" --threads 1 >"$work/replica.log" 2>&1 &
pids+=($!)
wait_ok "http://127.0.0.1:$replica_port/ready" 60
"$glmserve" gateway --listen "127.0.0.1:$gateway_port" --upstream "http://127.0.0.1:$replica_port" \
  --policy least_connections >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_ok "http://127.0.0.1:$gateway_port/ready" 30
# Some traffic, so that the counters on the page are not all zero.
for _ in 1 2 3; do
  curl -sf "http://127.0.0.1:$gateway_port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt":"hello","max_tokens":4}' >/dev/null
done

url="http://127.0.0.1:$gateway_port/"
browser=("$chromium_bin" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage
         --user-data-dir="$work/profile" --virtual-time-budget=4000)
"${browser[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/chromium.log"
"${browser[@]}" --window-size=1280,720 --screenshot="$work/status_page.png" "$url" \
  >>"$work/chromium.log" 2>&1

fail=0
check() {  # description, pattern (extended regex over the rendered DOM)
  if grep -Eq "$2" "$work/dom.html"; then echo "ok: $1"; else echo "FAIL: $1 ($2)"; fail=1; fi
}
check "state rendered by the script" '<b id="state">[a-z]+</b>'
check "policy from /gateway/status" '<b id="policy">least_connections</b>'
check "one available upstream" '<b id="available">1 / 1</b>'
check "the replica's row" "127\.0\.0\.1:$replica_port"
check "request counter" '<b id="requests">[1-9][0-9]*</b>'
if ! grep -q 'id="error"></div>' "$work/dom.html"; then
  echo "FAIL: the page shows an error: $(grep -o 'id="error">[^<]*' "$work/dom.html")"
  fail=1
fi
size=$(stat -c %s "$work/status_page.png" 2>/dev/null || echo 0)
if [ "$size" -gt 10000 ]; then echo "ok: screenshot $work/status_page.png ($size bytes)"
else echo "FAIL: screenshot missing or empty ($size bytes)"; fail=1; fi
if [ "$fail" -ne 0 ]; then
  echo "--- rendered DOM"; cat "$work/dom.html"; echo "--- chromium"; tail -20 "$work/chromium.log"
fi
exit "$fail"
