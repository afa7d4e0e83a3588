#!/usr/bin/env bash
# Load test of the authz endpoint (GET /api/v2/auth/api/v2/peatio/account/balances)
# with Redis: barong against a bare net/http handler (scripts/bare), same
# load generator, same settings, on loopback.
#   cookie mode:  wrk -c$CONNS with the member's session cookie and user agent
#   API-key mode: scripts/authzload (signs every request with a fresh nonce;
#                 wrk's Lua has no HMAC), used for barong and bare alike
# $RUNS runs of $DURATION each, then a memory run of $MEM_SECONDS under both
# loads at once ($CONNS/2 connections each) sampling barong's RSS every 30 s.
# Everything is bounded; Redis keys live under a fresh prefix, deleted at exit.
# MODES="cookie apikey" picks the modes. PIN=1 separates the load generator
# from the servers: wrk and authzload run on CPU 1, barong, bare and Redis
# on CPU 0 (Redis' affinity is restored at exit), so that latency is not
# the generator's own scheduling delay. BARONG_EXTRA_ENV="GOGC=200 ..."
# adds environment to barong only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
MEM_SECONDS=${MEM_SECONDS:-300}
MODES=${MODES:-cookie apikey}
PIN=${PIN:-0}
BARONG_EXTRA_ENV=${BARONG_EXTRA_ENV:-}
KEYS=${KEYS:-64}
REDIS_URL=${BARONG_REDIS_URL:-redis://127.0.0.1:6379/0}
PREFIX="barongbench$(date +%s)$$:"
PATH_AUTHZ=/api/v2/auth/api/v2/peatio/account/balances
# Ports of barong and bare (not bench-ping.sh's, which may run meanwhile).
BARONG_PORT=${BARONG_PORT:-18100}
BARE_PORT=${BARE_PORT:-18101}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli is required"; exit 1; }
work=$(mktemp -d)
redis_pid=$(pgrep -x redis-server | head -1 || true)
redis_mask=""
if [ "$PIN" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs 2 CPUs"; exit 1; }
  SRV="taskset -c 0"; GEN="taskset -c 1"
  if [ -n "$redis_pid" ]; then
    redis_mask=$(taskset -p "$redis_pid" | awk '{print $NF}')
    taskset -p 1 "$redis_pid" >/dev/null
  fi
else
  SRV=""; GEN=""
fi
cleanup() {
  [ -n "$redis_mask" ] && taskset -p "$redis_mask" "$redis_pid" >/dev/null 2>&1 || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for port in "$BARONG_PORT" "$BARE_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is in use"; exit 1; fi
done
go build -o "$work/barong" ./cmd/barong
go build -o "$work/bare" ./scripts/bare
go build -o "$work/authzload" ./scripts/authzload

export BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX" BARONG_HTTP_ADDR=127.0.0.1:$BARONG_PORT \
  LOG_LEVEL=warn BARONG_LOGIN_THROTTLE_ENABLED=false
# shellcheck disable=SC2086
(cd "$work" && exec env $BARONG_EXTRA_ENV $SRV ./barong serve 2>"$work/barong.log") &
barong_pid=$!
$SRV "$work/bare" -addr "127.0.0.1:$BARE_PORT" &
bare_pid=$!
for port in "$BARONG_PORT" "$BARE_PORT"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/api/v2/auth/identity/ping" >/dev/null && break; sleep 0.2; done
done
(cd "$work" && ./authzload setup -url "http://127.0.0.1:$BARONG_PORT" -dir "$work" -keys "$KEYS")
cookie=$(cat "$work/cookie")
ua=$(cat "$work/ua")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -A "$ua" "http://127.0.0.1:$BARONG_PORT$PATH_AUTHZ")
[ "$status" = 200 ] || { echo "cookie authz answered $status"; cat "$work/barong.log"; exit 1; }

# wrk_run PORT CONNS SECONDS: cookie-mode wrk; prints "req/s p99".
wrk_run() {
  $GEN wrk -t"$THREADS" -c"$2" -d"$3" --latency -H "Cookie: $cookie" -H "User-Agent: $ua" "http://127.0.0.1:$1$PATH_AUTHZ" |
    awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} /Non-2xx/{bad=$NF} END{if (bad) print "NON-2xx:" bad; print r, p}'
}
# key_run PORT CONNS DURATION: API-key mode; prints "req/s p99".
key_run() {
  $GEN "$work/authzload" load -url "http://127.0.0.1:$1$PATH_AUTHZ" -keys "$work/keys" -c "$2" -d "$3" |
    sed -E 's/.* ([0-9]+) req\/s, p50 [^,]+, p99 ([^,]+),.*/\1 \2/'
}

# Other work during a run ("other"): CPU time used by processes that are
# not barong, bare, redis or this script's load generators, then the CPU
# time the hypervisor gave to other guests (steal), both in % of the
# machine; runs are only comparable when both stay near 0.
jiffies() { awk '/^cpu /{print $2+$3+$4}' /proc/stat; }
proc_jiffies() { local t=0; for p in "$@"; do [ -n "$p" ] && [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
# ours sets $ours_j: our processes' CPU, with the finished children of this
# shell (wrk, authzload) from the times builtin (run here, not in a subshell).
ours() {
  times >"$work/times"
  ours_j=$(( $(proc_jiffies "$barong_pid" "$bare_pid" "$redis_pid") + $(tail -1 "$work/times" |
    awk '{split($1,u,/[ms]/); split($2,s,/[ms]/); printf "%d", (u[1]*60+u[2]+s[1]*60+s[2])*100}') ))
}
steal_j() { awk '/^cpu /{print $9}' /proc/stat; }
mark() { m_all=$(jiffies); m_steal=$(steal_j); ours; m_ours=$ours_j; m_t=$(date +%s%N); }
# foreign sets $other: others' CPU since mark, in % of the machine.
foreign() {
  local all=$(( $(jiffies) - m_all )) ns=$(( $(date +%s%N) - m_t ))
  ours
  other=$(awk -v f=$((all - (ours_j - m_ours))) -v st=$(( $(steal_j) - m_steal )) -v ns="$ns" -v n="$(nproc)" \
    'BEGIN{v=f*1e9/100/ns/n*100; if (v<0) v=0; printf "%.0f%%/%.0f%%", v, st*1e9/100/ns/n*100}')
}

echo "warm-up"
wrk_run "$BARONG_PORT" "$CONNS" 2s >/dev/null; key_run "$BARONG_PORT" "$CONNS" 2s >/dev/null
wrk_run "$BARE_PORT" "$CONNS" 2s >/dev/null; key_run "$BARE_PORT" "$CONNS" 2s >/dev/null
printf '%-4s %-7s %-6s %12s %10s %12s\n' run mode target req/s p99 other/steal
for run in $(seq 1 "$RUNS"); do
  for mode in $MODES; do
    for target in "bare:$BARE_PORT" "barong:$BARONG_PORT"; do
      name=${target%%:*}; port=${target##*:}
      mark
      if [ "$mode" = cookie ]; then wrk_run "$port" "$CONNS" "$DURATION" >"$work/out" || echo "failed -" >"$work/out"
      else key_run "$port" "$CONNS" "$DURATION" >"$work/out" || echo "failed -" >"$work/out"; fi
      foreign
      read -r rps p99 <"$work/out"
      printf '%-4s %-7s %-6s %12s %10s %12s\n' "$run" "$mode" "$name" "$rps" "$p99" "$other"
    done
  done
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$MEM_SECONDS" -gt 0 ]; then
  half=$((CONNS / 2))
  echo "memory run: ${MEM_SECONDS}s, cookie (wrk -c$half) and API-key (authzload -c$half) load at once"
  wrk -t1 -c"$half" -d"${MEM_SECONDS}s" -H "Cookie: $cookie" -H "User-Agent: $ua" "http://127.0.0.1:$BARONG_PORT$PATH_AUTHZ" >"$work/wrk-mem.txt" &
  wrk_pid=$!
  "$work/authzload" load -url "http://127.0.0.1:$BARONG_PORT$PATH_AUTHZ" -keys "$work/keys" -c "$half" -d "${MEM_SECONDS}s" >"$work/key-mem.txt" &
  key_pid=$!
  samples=()
  for t in $(seq 0 30 "$MEM_SECONDS"); do
    [ "$t" -gt 0 ] && sleep 30
    rss=$(awk '/VmRSS/{print $2}' "/proc/$barong_pid/status")
    samples+=("$rss")
    echo "t=${t}s RSS ${rss} kB"
  done
  wait "$wrk_pid" "$key_pid" || true
  grep -E 'Requests/sec|Non-2xx' "$work/wrk-mem.txt" | sed 's/^/  cookie: /'
  sed 's/^/  api key: /' "$work/key-mem.txt"
  first=${samples[1]:-${samples[0]}}; last=${samples[-1]}
  awk -v a="$first" -v b="$last" 'BEGIN{printf "RSS growth from t=30s to the end: %.1f%%\n", (b-a)*100/a}'
fi
