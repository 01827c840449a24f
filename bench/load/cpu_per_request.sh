#!/usr/bin/env bash
# CPU per request under the load test's mix, below saturation (issue 22): the app processes' and
# PostgreSQL's CPU seconds over a Locust run, divided by the requests it made. Comparable between
# two versions of the code (PYTHONPATH=<other tree>/src) or two settings run one after the other on
# copies of the same database, where a saturated run's throughput and percentiles are not.
#   bench/load/cpu_per_request.sh DB_URL [USERS=120] [SECONDS=60] [WORKERS=2]
set -euo pipefail
URL=$1; USERS=${2:-120}; SECONDS_=${3:-60}; WORKERS=${4:-2}
cd "$(dirname "$0")/../.."
BIN=${VENV:-$PWD/.venv}/bin
PORT=$("$BIN/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
OUT=$(mktemp -d /tmp/poolcrm_cpu_XXXXXX)
POOLCRM_SCHEDULER=0 "$BIN/poolcrm" serve --db "$URL" --port "$PORT" --workers "$WORKERS" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/login" && break; sleep 0.5; done
sleep 2
ticks() {  # CPU ticks (1/100 s) of the given processes
  local sum=0; for p in "$@"; do [ -r "/proc/$p/stat" ] && sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $sum
}
CHILDREN=($(pgrep -P "$SERVER" || true))  # uvicorn's workers (and multiprocessing's tracker)
APP=("$SERVER" "${CHILDREN[@]}" $(for p in "${CHILDREN[@]}"; do pgrep -P "$p" || true; done))
A0=$(ticks "${APP[@]}"); P0=$(ticks $(pgrep -x postgres))
"$BIN/locust" -f bench/load/locustfile.py --headless -H "http://127.0.0.1:$PORT" -u "$USERS" -r "$USERS" \
  -t "${SECONDS_}s" --only-summary --loglevel WARNING --csv "$OUT/locust" > "$OUT/locust.log" 2>&1 || true
A1=$(ticks "${APP[@]}"); P1=$(ticks $(pgrep -x postgres))
N=$(awk -F, '$2 == "Aggregated" {print $3}' "$OUT/locust_stats.csv")
FAILED=$(awk -F, '$2 == "Aggregated" {print $4}' "$OUT/locust_stats.csv")
"$BIN/python" -c "print(f'{$N} requests ({$FAILED} failed): app {($A1-$A0)*10/$N:.2f} ms, PostgreSQL {($P1-$P0)*10/$N:.2f} ms of CPU per request')"
