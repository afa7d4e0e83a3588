#!/usr/bin/env bash
# Events on time under load, and authz while bcrypt is saturated
# (docs/performance.md, "Events and authz under a storm"). One command:
#
#   scripts/bench-events.sh            # PostgreSQL (a fresh database)
#   DB=sqlite scripts/bench-events.sh  # the embedded default
#   DB=mysql scripts/bench-events.sh   # MariaDB/MySQL (a fresh database)
#
# A fresh barong (production bcrypt cost 12, sessions in Redis under a fresh
# prefix, events to RabbitMQ) is driven by scripts/eventlag, which prints:
#   1. the no-load baseline: $BASELINE sign-ups one at a time, the time from
#      each 201 to the consumer's receipt of its confirmation e-mail event
#      (system.user.email.confirmation.token) and model.user.created;
#   2. authz (cookie session, Redis) latency at $AUTHZ_RATE req/s for
#      $AUTHZ_D, without load, then while $STORM logins in flight keep
#      bcrypt saturated;
#   3. the same event lag during a sign-up storm: $CONC sign-ups in flight
#      for $DURATION (at least $MIN), overall and per 20 s window (flat
#      means the relay keeps up), with the authz probe at a quarter rate.
# Needs PostgreSQL/MariaDB (per DB), Redis and RabbitMQ on this machine;
# everything it creates is removed at exit. BARONG_BIN=path runs that
# binary instead of building ./cmd/barong (to compare two builds);
# PHASES=baseline,authz,signups picks the measurements; METRICS=1 adds
# barong's own request-duration histograms and GC pauses; KEEP_LOG=path keeps its log;
# NICE=-10 (root only) runs barong and the load generator at that nice
# value, to shield the measurement from other work on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-postgres}
DURATION=${DURATION:-2m}
CONC=${CONC:-8}
MIN=${MIN:-200}
BASELINE=${BASELINE:-30}
AUTHZ_RATE=${AUTHZ_RATE:-200}
AUTHZ_D=${AUTHZ_D:-20s}
STORM=${STORM:-16}
PORT=${PORT:-18200}
REDIS_URL=${BARONG_REDIS_URL:-redis://127.0.0.1:6379/0}
AMQP_URL=${EVENT_API_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
PREFIX="barongbenchev$(date +%s)$$:"
DBNAME="barong_bench_events_$$"
BARONG_EXTRA_ENV=${BARONG_EXTRA_ENV:-}
NICE=${NICE:-0}
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP_LOG:-}" ] && cp "$work/barong.log" "$KEEP_LOG" 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" 2>/dev/null | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  case "$DB" in
    postgres) psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1 || true ;;
    mysql) mysql -uroot -h"$MYSQL_HOST" -e "DROP DATABASE IF EXISTS $DBNAME" >/dev/null 2>&1 || true ;;
  esac
  rm -rf "$work"
}
trap cleanup EXIT

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT is in use (PORT=...)"; exit 1; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), database $DB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BARONG_BIN:-}" ]; then cp "$BARONG_BIN" "$work/barong"; else go build -o "$work/barong" ./cmd/barong; fi
go build -o "$work/eventlag" ./scripts/eventlag

env=(BARONG_HTTP_ADDR=127.0.0.1:$PORT LOG_LEVEL=warn BARONG_LOGIN_THROTTLE_ENABLED=false
  BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX" EVENT_API_RABBITMQ_URL="$AMQP_URL")
case "$DB" in
  postgres) psql "$PG/postgres" -qc "CREATE DATABASE $DBNAME" >/dev/null
    env+=(BARONG_DATABASE_URL="$PG/$DBNAME?sslmode=disable") ;;
  mysql) mysql -uroot -h"$MYSQL_HOST" -e "CREATE DATABASE $DBNAME" >/dev/null
    env+=(BARONG_DATABASE_URL="mysql://root@$MYSQL_HOST:3306/$DBNAME") ;;
  sqlite) ;;
  *) echo "DB must be postgres, mysql or sqlite"; exit 1 ;;
esac
# shellcheck disable=SC2086
(cd "$work" && exec nice -n "$NICE" env "${env[@]}" $BARONG_EXTRA_ENV ./barong serve 2>"$work/barong.log") &
pid=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$PORT/api/v2/auth/identity/ping" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$PORT/api/v2/auth/identity/ping" >/dev/null || { echo "barong did not start:"; cat "$work/barong.log"; exit 1; }
echo "barong $(cd "$work" && ./barong version 2>/dev/null | head -1), GOMAXPROCS=${GOMAXPROCS:-unset, barong default}, nice $NICE"
echo
nice -n "$NICE" "$work/eventlag" -url "http://127.0.0.1:$PORT" -amqp "$AMQP_URL" -c "$CONC" -d "$DURATION" -min "$MIN" \
  -baseline "$BASELINE" -authz-rate "$AUTHZ_RATE" -authz-d "$AUTHZ_D" -storm "$STORM" -phases "${PHASES:-baseline,authz,signups}"
if [ -n "${METRICS:-}" ]; then
  echo; echo "barong's own view (server-side request durations, cumulative buckets):"
  curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E 'barong_http_request_duration_seconds_bucket\{route="(/api/v2/auth/|POST /api/v2/identity/sessions)"'
  echo "GC stop-the-world pauses (seconds) and GOMAXPROCS:"
  curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E '^go_gc_duration_seconds|^go_sched_gomaxprocs_threads' || true
fi
if grep -q 'level=ERROR' "$work/barong.log"; then
  echo; echo "barong logged errors:"; grep 'level=ERROR' "$work/barong.log" | head -5
fi
