#!/usr/bin/env bash
# Drives `glmserve serve` with the official `openai` npm client (openai_client_test.mjs), then
# checks that SIGTERM drains and exits 0, and that a second signal during a drain exits at once
# (130). Exit 77 (CTest: skipped) when node/npm are missing or
# the npm registry cannot be reached; the reason is printed.
#   run_openai_client_test.sh GLMSERVE_BINARY WORK_DIR
set -euo pipefail
glmserve=$(realpath "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
openai_version=6.30.1

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the openai npm client test"; exit 77
fi
mkdir -p "$work"
cd "$work"
if [ ! -f "node_modules/openai/package.json" ] ||
   ! grep -q "\"version\": \"$openai_version\"" node_modules/openai/package.json; then
  echo '{"private": true, "type": "module"}' > package.json
  if ! timeout 300 npm install --no-audit --no-fund --silent "openai@$openai_version"; then
    echo "SKIP: could not install openai@$openai_version from the npm registry"; exit 77
  fi
fi
cp "$here/openai_client_test.mjs" .

"$glmserve" make-model --arch glm4 --preset tiny --seed 3 --type f32 --out tiny.gguf 2>/dev/null
echo sk-openai-client-test > keys.txt
log=serve.log
"$glmserve" serve -m tiny.gguf --model-name tiny --port 0 --threads 2 --ctx 512 \
  --api-key-file keys.txt > "$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "glmserve serve exited early"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "glmserve serve did not start"; exit 1; }

status=0
node openai_client_test.mjs "$url" sk-openai-client-test tiny || status=$?

kill -TERM $pid
exit_code=0
wait $pid || exit_code=$?
trap - EXIT
if [ "$exit_code" -ne 0 ]; then
  cat "$log"; echo "glmserve serve exited with $exit_code after SIGTERM (want 0)"; exit 1
fi
grep -q '"stopped"\|] stopped' "$log" || { cat "$log"; echo "no 'stopped' line after SIGTERM"; exit 1; }

# A second signal while a long request drains exits at once, with 130.
# Queued work that takes far longer than the test: 32 requests of 2000 tokens, one at a time.
"$glmserve" serve -m tiny.gguf --model-name tiny --port 0 --threads 1 --ctx 2048 \
  --max-running 1 --drain-timeout 600s > "$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "glmserve serve did not start again"; exit 1; }
node -e "Promise.all([...Array(32)].map(() => fetch('$url/v1/completions', {method: 'POST',
  body: JSON.stringify({prompt: 'x', max_tokens: 2000, ignore_eos: true})})
  .then(r => r.text()).catch(() => {})))" &
client=$!
for _ in $(seq 1 100); do
  grep -q '"running":1' <(node -e "fetch('$url/v1/status').then(r => r.text()).then(console.log)") && break
  sleep 0.1
done
kill -TERM $pid
sleep 0.2
kill -TERM $pid
exit_code=0
wait $pid || exit_code=$?
trap - EXIT
kill $client 2>/dev/null || true
if [ "$exit_code" -ne 130 ]; then
  cat "$log"; echo "a second SIGTERM during the drain exited with $exit_code (want 130)"; exit 1
fi
echo "second signal: exited at once with 130"
exit $status
