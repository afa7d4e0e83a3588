#!/usr/bin/env bash
# Instructions per gateway check, counted by valgrind's callgrind: a figure
# that does not move with the machine's load, unlike the rates of
# scripts/bench-authz.sh. barong (Redis sessions and nonces, SQLite
# database) and the bare handler (scripts/bare) run under callgrind, with
# instrumentation off until they are warm; then, for each mode, $N requests
# of GET /api/v2/auth/api/v2/peatio/account/balances are sent by
# scripts/authzload from $CONNS connections and the instructions the
# server executed meanwhile (every thread, the runtime and background work
# included) are dumped and divided by $N.
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
CONNS=${CONNS:-4}
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
export BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX"
# Callgrind asserts on the signals of Go's asynchronous preemption.
export GODEBUG=asyncpreemptoff=1
(cd "$work" && exec valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --callgrind-out-file="$work/barong.%p" ./barong serve 2>"$work/barong.log") &
barong_pid=$!
(exec valgrind --tool=callgrind --fair-sched=yes --instr-atstart=no --callgrind-out-file="$work/bare.%p" "$work/bare" -addr "127.0.0.1:$BARE_PORT" 2>"$work/bare.log") &
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

printf '%-7s %-7s %14s %12s %9s\n' mode target instructions per-request database
for target in "barong:$BARONG_PORT:$barong_pid" "bare:$BARE_PORT:$bare_pid"; do
  IFS=: read -r name port pid <<<"$target"
  for mode in apikey cookie; do
    load "$port" "$mode" "$WARM" >/dev/null
  done
  callgrind_control -i on "$pid" >/dev/null 2>&1
  for mode in apikey cookie; do
    callgrind_control -z "$pid" >/dev/null 2>&1
    load "$port" "$mode" "$N" >"$work/out"
    callgrind_control -d "$mode" "$pid" >/dev/null 2>&1
    f=$(ls -t "$work/$name".*.* | head -1)
    ir=$(total "$f")
    printf '%-7s %-7s %14s %12s %9s   (%s)\n' "$mode" "$name" "$ir" "$(awk -v i="$ir" -v n="$N" 'BEGIN{printf "%.0f", i/n}')" \
      "$(dbshare "$f")" "$(cut -d, -f1-3 "$work/out")"
  done
  callgrind_control -i off "$pid" >/dev/null 2>&1
done
echo "uptime after: $(uptime)"
