#!/usr/bin/env bash
# Issue 22 load test, one command, stops by itself:
#   bench/load/run.sh [pg|sqlite] [USERS] [DURATION]
# env: CUSTOMERS (default 1000000 on pg, 100000 on sqlite), STAFF (extra salespeople, `poolcrm demo
#      --staff`; default USERS, so that every simulated person has an account of their own),
#      WORKERS (2 on pg; SQLite is always 1),
#      DB (a database URL already filled by `poolcrm demo`: no fill, kept afterwards; its writes stay),
#      SPAWN_RATE (default USERS/10, at least 1), PG (server URL, default postgresql+psycopg://postgres@127.0.0.1:5432)
# A fresh database (pg: a new database, dropped at the end; sqlite: a temp file) is filled with
# `poolcrm demo --customers N`, served by `poolcrm serve` with the scheduler off, loaded by Locust
# headless; the summary goes to stdout and bench/out/load/<stamp>/summary.md (git-ignored).
set -euo pipefail
ENGINE=${1:-pg}
USERS=${2:-20}
DURATION=${3:-60s}
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
PG=${PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
if [ "$ENGINE" = pg ]; then CUSTOMERS=${CUSTOMERS:-1000000}; WORKERS=${WORKERS:-2}; else CUSTOMERS=${CUSTOMERS:-100000}; WORKERS=1; fi
STAFF=${STAFF:-$USERS}
RATE=${SPAWN_RATE:-$(( USERS / 10 > 0 ? USERS / 10 : 1 ))}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)-$ENGINE-$USERS
OUT=$ROOT/bench/out/load/$STAMP
mkdir -p "$OUT"
SERVER_PID= SAMPLER_PID= DBNAME= TMPDIR_DB=
cleanup() {
  set +e
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$DBNAME" ]; then
    "$BIN/python" -c "import sqlalchemy as sa; e=sa.create_engine('$PG/postgres', isolation_level='AUTOCOMMIT'); e.connect().execute(sa.text('DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)'))" \
      && echo "dropped database $DBNAME"
  fi
  [ -n "$TMPDIR_DB" ] && rm -rf "$TMPDIR_DB"
}
trap cleanup EXIT INT TERM

if [ -n "${DB:-}" ]; then
  # an already filled database (poolcrm demo --customers N): loaded as it is, kept afterwards
  URL=$DB
  CUSTOMERS="(existing database)"
elif [ "$ENGINE" = pg ]; then
  DBNAME=poolcrm_load_$(date +%s)_$$
  "$BIN/python" -c "import sqlalchemy as sa; e=sa.create_engine('$PG/postgres', isolation_level='AUTOCOMMIT'); e.connect().execute(sa.text(\"CREATE DATABASE $DBNAME TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'\"))"
  URL=$PG/$DBNAME
else
  TMPDIR_DB=$(mktemp -d /tmp/poolcrm_load_XXXXXX)
  URL=sqlite:///$TMPDIR_DB/load.db
fi
FILL_S=0
STAFF_NOTE=
if [ -z "${DB:-}" ]; then
  echo "== fill: poolcrm demo --customers $CUSTOMERS --staff $STAFF ($URL)"
  T0=$(date +%s)
  # cheap password hashes for the demo people (the server verifies whatever parameters a hash names)
  POOLCRM_FAST_HASH=1 POOLCRM_SCHEDULER=0 "$BIN/poolcrm" demo --db "$URL" --customers "$CUSTOMERS" --staff "$STAFF" > "$OUT/demo.log" 2>&1
  FILL_S=$(( $(date +%s) - T0 ))
  STAFF_NOTE=", $STAFF more salespeople"
  echo "   filled in ${FILL_S}s"
fi

# the night before: the daily job (recycling, the bin, the duty roster, reminders) has run, as it
# has in any deployment the morning people start work; idempotent on a database already run today
echo "== daily job: poolcrm jobs run-daily"
T0=$(date +%s)
POOLCRM_SCHEDULER=0 "$BIN/poolcrm" jobs run-daily --db "$URL" > "$OUT/daily.log" 2>&1
DAILY_S=$(( $(date +%s) - T0 ))
echo "   ran in ${DAILY_S}s"

PORT=$("$BIN/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
echo "== serve: poolcrm serve --workers $WORKERS --port $PORT (POOLCRM_SCHEDULER=0)"
POOLCRM_SCHEDULER=0 "$BIN/poolcrm" serve --db "$URL" --port "$PORT" --workers "$WORKERS" > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/login" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died"; tail -30 "$OUT/server.log"; exit 1; }
  sleep 0.5
done
sleep 2  # let every worker come up
"$BIN/python" "$ROOT/bench/load/sample.py" "$SERVER_PID" "$OUT/proc.csv" 2 &
SAMPLER_PID=$!

echo "== locust: $USERS users, spawn rate $RATE/s, $DURATION"
LOAD_OUTCOMES=$OUT/outcomes.json LOAD_TIMES=$OUT/times.csv "$BIN/locust" -f "$ROOT/bench/load/locustfile.py" --headless \
  -H "http://127.0.0.1:$PORT" -u "$USERS" -r "$RATE" -t "$DURATION" --stop-timeout 10 \
  --csv "$OUT/locust" --only-summary --loglevel WARNING > "$OUT/locust.log" 2>&1 || true
kill "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=
kill -TERM "$SERVER_PID" 2>/dev/null || true
for _ in $(seq 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
SERVER_PID=

HEADER="engine $ENGINE, $WORKERS app process(es), $CUSTOMERS demo customers (+ demo company$STAFF_NOTE), $USERS users, spawn $RATE/s, $DURATION; fill ${FILL_S}s, daily job ${DAILY_S}s; scheduler off (POOLCRM_SCHEDULER=0); $(nproc) CPUs, load avg $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
"$BIN/python" "$ROOT/bench/load/report.py" "$OUT" "$HEADER"
echo "(summary: $OUT/summary.md)"
