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
    # Below Linux's ephemeral range (32768 and up): a client socket of a test running beside
    # this one can hold any port there, and then the bind fails (seen in CI).
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

# launch VAR LOG SECONDS COMMAND...: runs COMMAND (its PORT words replaced by a free port) until
# http://127.0.0.1:PORT/ready answers 200, on another port if the process dies first (the port
# was taken between free_port and the bind); sets VAR to the port.
launch() {
  local var=$1 log=$2 seconds=$3
  shift 3
  for _ in 1 2 3; do
    local port pid
    port=$(free_port)
    "${@//PORT/$port}" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq $((seconds * 10))); do
      if curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then
        printf -v "$var" '%s' "$port"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  echo "FAIL: $* never answered 200 on /ready" >&2
  return 1
}

launch replica_port "$work/replica.log" 60 "$glmserve" serve --host 127.0.0.1 --port PORT \
  --threads 1
launch gateway_port "$work/gateway.log" 30 "$glmserve" gateway --listen "127.0.0.1:PORT" \
  --upstream "http://127.0.0.1:$replica_port" --policy least_connections
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
