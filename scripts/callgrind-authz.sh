#!/usr/bin/env bash
# Instructions per gateway check, counted by valgrind's callgrind: a figure
# that does not move with the machine's load, unlike the rates of
# scripts/bench-authz.sh. barong (Redis sessions and nonces, SQLite
# database) and the bare handler (scripts/bare) run under callgrind, with
# instrumentation off until they are warm; then, for each mode, $N requests
# of GET /api/v2/auth/api/v2/peatio/account/balances are sent by
# scripts/authzload from $CONNS connections and the instructions the
# server executed meanwhile (every thread, the runtime and background work
# included) are dumped, less the background work of the same time when
# idle, and divided by $N.
#   API key: a fresh nonce per request (one SET NX in Redis each)
#   cookie:  the member's session cookie and user agent
# Counts are user-space instructions of the server alone: the kernel's
# system calls, Redis and the load generator are not in them (the CPU per
# request columns of bench-authz.sh cover those).
#
#   scripts/callgrind-authz.sh             # N=2000 requests per mode
#   N=5000 CONNS=4 scripts/callgrind-authz.sh
#   BARONG_BIN=/path/to/barong scripts/callgrind-authz.sh   # another build (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
CONNS=${CONNS:-2}
WARM=${WARM:-300}
REDIS_URL=${BARONG_REDIS_URL:-redis://127.0.0.1:6379/0}
PREFIX="baronggrind$(date +%s)$$:"
PATH_AUTHZ=/api/v2/auth/api/v2/peatio/account/balances
BARONG_PORT=${BARONG_PORT:-18120}
BARE_PORT=${BARE_PORT:-18121}
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)"; exit 1; }
work=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "uptime before: $(uptime)"
if [ -n "${BARONG_BIN:-}" ]; then cp "$BARONG_BIN" "$work/barong"; else go build -o "$work/barong" ./cmd/barong; fi
go build -o "$work/bare" ./scripts/bare
go build -o "$work/authzload" ./scripts/authzload

export BARONG_HTTP_ADDR=127.0.0.1:$BARONG_PORT LOG_LEVEL=warn BARONG_LOGIN_THROTTLE_ENABLED=false
# Bearer tokens are signed once per principal and token-cache window (10 s
# by default), whatever the rate: under valgrind a run lasts long enough
# for several RSA signatures, which would count as per-request work. With
# a window longer than the run, the counts hold the per-request work only.
export BARONG_AUTHZ_TOKEN_CACHE_SECONDS=${TOKEN_CACHE:-1200}
export BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX"
# Callgrind asserts on the signals of Go's asynchronous preemption. The
# servers run with GOMAXPROCS=$PROCS (1 by default): valgrind runs one
# thread at a time anyway, and with one P the scheduler does not spin
# looking for work, whose instructions vary from run to run.
PROCS=${PROCS:-1}
(cd "$work" && exec env GODEBUG=asyncpreemptoff=1 GOMAXPROCS="$PROCS" valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --callgrind-out-file="$work/barong.%p" ./barong serve 2>"$work/barong.log") &
barong_pid=$!
(exec env GODEBUG=asyncpreemptoff=1 GOMAXPROCS="$PROCS" valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --callgrind-out-file="$work/bare.%p" "$work/bare" -addr "127.0.0.1:$BARE_PORT" 2>"$work/bare.log") &
bare_pid=$!
for port in "$BARONG_PORT" "$BARE_PORT"; do
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/api/v2/auth/identity/ping" >/dev/null && break; sleep 0.5; done
done
(cd "$work" && ./authzload setup -url "http://127.0.0.1:$BARONG_PORT" -dir "$work" -keys 64)

# load PORT MODE COUNT
load() {
  local extra=()
  [ "$2" = cookie ] && extra=(-cookie "$work/cookie" -ua "$work/ua")
  "$work/authzload" load -url "http://127.0.0.1:$1$PATH_AUTHZ" -keys "$work/keys" -c "$CONNS" -n "$3" "${extra[@]}"
}
# total FILE: the instructions (Ir) of a callgrind dump.
total() { awk '/^(summary|totals):/{print $2; exit}' "$1"; }
# dbshare FILE: the share of the instructions spent in the database
# (SQLite): near zero when the process cache served every request.
dbshare() {
  callgrind_annotate --auto=no "$1" 2>/dev/null | awk -v t="$(total "$1")" '/sqlstore|modernc.org/{gsub(",", "", $1); s += $1} END{printf "%.1f%%", s*100/t}'
}

# Background work runs by the clock (the change feed's heartbeat every
# 200 ms, the rules' fingerprint every 2 s), and a run under valgrind is
# slow: the instructions of an idle period of $IDLE seconds, per second,
# times the run's duration are taken off before dividing by $N.
IDLE=${IDLE:-10}
printf '%-7s %-7s %14s %12s %12s %9s\n' mode target instructions idle/s per-request database
for target in "barong:$BARONG_PORT:$barong_pid" "bare:$BARE_PORT:$bare_pid"; do
  IFS=: read -r name port pid <<<"$target"
  for mode in apikey cookie; do
    load "$port" "$mode" "$WARM" >/dev/null || true
  done
  callgrind_control -i on "$pid" >/dev/null 2>&1
  callgrind_control -z "$pid" >/dev/null 2>&1
  sleep "$IDLE"
  callgrind_control -d idle "$pid" >/dev/null 2>&1
  idle=$(awk -v i="$(total "$(ls -t "$work/$name".*.* | head -1)")" -v s="$IDLE" 'BEGIN{printf "%.0f", i/s}')
  for mode in apikey cookie; do
    callgrind_control -z "$pid" >/dev/null 2>&1
    start=$(date +%s%N)
    load "$port" "$mode" "$N" >"$work/out" || true # a few 401s (a nonce older than 5 s after a stall) do not matter here
    secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{print (b-a)/1e9}')
    callgrind_control -d "$mode" "$pid" >/dev/null 2>&1
    f=$(ls -t "$work/$name".*.* | head -1)
    ir=$(total "$f")
    printf '%-7s %-7s %14s %12s %12s %9s   (%s)\n' "$mode" "$name" "$ir" "$idle" \
      "$(awk -v i="$ir" -v n="$N" -v r="$idle" -v s="$secs" 'BEGIN{printf "%.0f", (i-r*s)/n}')" \
      "$(dbshare "$f")" "$(head -1 "$work/out" | cut -d, -f1-3,7)"
  done
  callgrind_control -i off "$pid" >/dev/null 2>&1
done
echo "uptime after: $(uptime)"
