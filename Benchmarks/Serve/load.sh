#!/usr/bin/env bash
# Load test of `mnist serve` on loopback: wrk drives POST /api/predict with many concurrent
# connections, bounded in time, for JSON pixels and for a PNG drawing; reports requests/s,
# latency percentiles, errors, and the server's resident memory before and after.
#
# Usage: MNIST_DIR=... Benchmarks/Serve/load.sh [MODEL] (default: trains a 1-epoch reference model)
# Environment: SECONDS_PER_RUN (default 60), CONNECTIONS (default 8). wrk runs one thread: it shares
# the two cores with the server, and one thread drives more than the server answers.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MNIST_DIR:?set MNIST_DIR to the MNIST folder}"
duration="${SECONDS_PER_RUN:-60}"
connections="${CONNECTIONS:-8}"
command -v wrk >/dev/null || { echo "error: wrk is missing (apt-get install wrk)" >&2; exit 1; }

swift build -c release --product mnist >/dev/null
mnist=.build/release/mnist
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
model="${1:-}"
if [ -z "$model" ]; then
    echo "Training a 1-epoch reference model for the test..."
    "$mnist" train --epochs 1 --output "$work/train" --data-dir "$MNIST_DIR" >/dev/null
    model="$work/train/model.safetensors"
fi
python3 Benchmarks/Serve/payloads.py "$MNIST_DIR" "$work"

"$mnist" serve --model "$model" --port 0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "Serving" "$work/serve.log" && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*' "$work/serve.log")"
rss() { awk '/VmRSS/ { print $2 / 1024 " MB" }' "/proc/$server/status"; }
echo "Server: $url (pid $server), model $model"

# Warm-up, so that the memory measured afterwards is the steady state.
BODY="$work/pixels.json" TYPE=application/json wrk -t1 -c"$connections" -d5s -s Benchmarks/Serve/post.lua "$url" >/dev/null
echo "Resident memory after warm-up: $(rss)"
for payload in "pixels.json application/json" "drawing.png image/png"; do
    set -- $payload
    echo
    echo "== POST /api/predict with $1 ($(stat -c %s "$work/$1") bytes), $connections connections, ${duration}s"
    BODY="$work/$1" TYPE="$2" wrk -t1 -c"$connections" -d"${duration}s" --latency -s Benchmarks/Serve/post.lua "$url"
    echo "Resident memory after: $(rss)"
done
# The server must still answer correctly.
curl -sf "${url}health" >/dev/null && echo "Health check after the load: ok"
