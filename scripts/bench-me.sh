#!/usr/bin/env bash
# Load test of GET /api/v2/resource/users/me with a cookie session: barong
# against two bare net/http handlers (scripts/bare), same wrk settings, on
# loopback:
#   bare:    answers the path with the very bytes barong answered (the
#            HTTP floor: no database);
#   bare-db: reads the user and records with the one SQL statement barong
#            uses, from the same database, and encodes them with
#            encoding/json (the database floor: no session, no decision).
# Two barong configurations, each measured against bare in the same run:
#   pg-redis: PostgreSQL (a fresh database) + Redis sessions (the scale-out
#             setup: one Redis and one SQL round trip per request)
#   sqlite:   the embedded default (SQLite file, sessions in SQLite)
# The member has a KYC'd user's records (labels, phone, profile, data
# storage). $RUNS runs of $DURATION each; everything is bounded and
# cleaned up at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
CONFIGS=${CONFIGS:-"pg-redis sqlite"}
REDIS_URL=${BARONG_REDIS_URL:-redis://127.0.0.1:6379/0}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PREFIX="barongbenchme$(date +%s)$$:"
PGDB="barong_bench_me_$$"
BARE_PORT=${BARE_PORT:-18111}
PATH_ME=/api/v2/resource/users/me
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" 2>/dev/null | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$work/barong" ./cmd/barong
go build -o "$work/bare" ./scripts/bare
go build -o "$work/authzload" ./scripts/authzload

wait_up() { for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$1/api/v2/auth/identity/ping" >/dev/null && return 0; sleep 0.2; done; echo "port $1 did not answer"; exit 1; }
# wrk_run PORT: prints "req/s p50 p99".
wrk_run() {
  wrk -t"$THREADS" -c"$CONNS" -d"$2" --latency -H "Cookie: $cookie" -H "User-Agent: $ua" "http://127.0.0.1:$1$PATH_ME" |
    awk '/Requests\/sec/{r=$2} /^ +50%/{m=$2} /^ +99%/{p=$2} /Non-2xx/{bad=$NF} END{if (bad) print "NON-2xx:" bad; print r, m, p}'
}

port=18112
for cfgname in $CONFIGS; do
  dir="$work/$cfgname"; mkdir -p "$dir"
  port=$((port + 1))
  env=(BARONG_HTTP_ADDR=127.0.0.1:$port LOG_LEVEL=warn BARONG_LOGIN_THROTTLE_ENABLED=false)
  if [ "$cfgname" = pg-redis ]; then
    psql "$PG/postgres" -qc "CREATE DATABASE $PGDB" >/dev/null
    env+=(BARONG_DATABASE_URL="$PG/$PGDB" BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX")
  fi
  (cd "$dir" && exec env "${env[@]}" ./../barong serve 2>"$dir/barong.log") &
  pids+=($!)
  wait_up "$port"
  (cd "$dir" && env "${env[@]}" ../authzload setup -url "http://127.0.0.1:$port" -dir "$dir" -keys 0 -records)
  cookie=$(cat "$dir/cookie"); ua=$(cat "$dir/ua")
  curl -fsS -H "Cookie: $cookie" -A "$ua" "http://127.0.0.1:$port$PATH_ME" >"$dir/me.json"
  uid=$(grep -o '"uid":"[^"]*"' "$dir/me.json" | cut -d'"' -f4)
  (cd "$dir" && exec env "${env[@]}" ../bare -addr "127.0.0.1:$((port + 10))" -me-uid "$uid") &
  pids+=($!)
  wait_up "$((port + 10))"
  echo "$cfgname: barong on port $port, bare-db on $((port + 10)), users/me body $(wc -c <"$dir/me.json") bytes"
  echo "$cfgname $port" >>"$work/targets"
done
# bare answers with the body of the first configuration (all are the same size
# up to the UID and timestamps).
"$work/bare" -addr "127.0.0.1:$BARE_PORT" -me "$work/$(head -1 "$work/targets" | cut -d' ' -f1)/me.json" &
pids+=($!)
wait_up "$BARE_PORT"

echo "warm-up"
while read -r cfgname port; do
  cookie=$(cat "$work/$cfgname/cookie"); ua=$(cat "$work/$cfgname/ua")
  wrk_run "$port" 2s >/dev/null; wrk_run "$((port + 10))" 2s >/dev/null
done <"$work/targets"
wrk_run "$BARE_PORT" 2s >/dev/null

# The ratios are barong's rate in % of bare's and of bare-db's.
printf '%-4s %-9s %-7s %10s %9s %9s %8s %8s\n' run config target req/s p50 p99 /bare /bare-db
for run in $(seq 1 "$RUNS"); do
  while read -r cfgname port; do
    cookie=$(cat "$work/$cfgname/cookie"); ua=$(cat "$work/$cfgname/ua")
    read -r brps bp50 bp99 < <(wrk_run "$BARE_PORT" "$DURATION")
    read -r drps dp50 dp99 < <(wrk_run "$((port + 10))" "$DURATION")
    read -r rps p50 p99 < <(wrk_run "$port" "$DURATION")
    r1=$(awk -v a="$rps" -v b="$brps" 'BEGIN{printf "%.0f%%", a*100/b}')
    r2=$(awk -v a="$rps" -v b="$drps" 'BEGIN{printf "%.0f%%", a*100/b}')
    printf '%-4s %-9s %-7s %10s %9s %9s %8s %8s\n' "$run" "$cfgname" bare "$brps" "$bp50" "$bp99" "" ""
    printf '%-4s %-9s %-7s %10s %9s %9s %8s %8s\n' "$run" "$cfgname" bare-db "$drps" "$dp50" "$dp99" "" ""
    printf '%-4s %-9s %-7s %10s %9s %9s %8s %8s\n' "$run" "$cfgname" barong "$rps" "$p50" "$p99" "$r1" "$r2"
  done <"$work/targets"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
