#!/usr/bin/env bash
# Load test of the authz endpoint (GET /api/v2/auth/api/v2/peatio/account/balances):
# barong against a bare net/http handler (scripts/bare), same load
# generator, same settings, on loopback, alternating, $RUNS runs of
# $DURATION per mode and target, then a summary of the medians.
#   cookie mode:  wrk -c$CONNS with the member's session cookie and user agent
#   API-key mode: scripts/authzload (signs every request with a fresh nonce;
#                 wrk's Lua has no HMAC), used for barong and bare alike
# Every line carries the 1-minute load average read before it, the CPU per
# request of the server (barong or bare), of Redis and of the load
# generator, the CPU other processes (and the hypervisor's steal) took
# meanwhile and, when perf can count them, the server's system calls and
# context switches per request. On a shared machine the rates move with the others' load, the
# CPU per request much less: the summary also gives the ratio the CPU per
# request predicts for a machine this test has to itself,
# (generator + bare) / (generator + barong + Redis).
#
#   scripts/bench-authz.sh                  # Redis sessions, 5 runs of 10 s
#   REDIS=0 scripts/bench-authz.sh          # the embedded default (SQLite), no Redis
#   MEM_SECONDS=300 scripts/bench-authz.sh  # then barong's RSS under both loads
#
# SHARED=1 marks the benchmark's API keys shared before the first request
# (redisstore/nonces.go): barong then checks every nonce in Redis, what a
# key used through several processes costs. MODES="cookie apikey" picks
# the modes. PIN=1 runs the load generators on
# CPU 1 and barong, bare and Redis on CPU 0. BARONG_EXTRA_ENV="GOGC=200 ..."
# adds environment to barong only. Redis keys live under a fresh prefix,
# deleted at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
RUNS=${RUNS:-5}
MEM_SECONDS=${MEM_SECONDS:-0}
MODES=${MODES:-cookie apikey}
PIN=${PIN:-0}
REDIS=${REDIS:-1}
SHARED=${SHARED:-0}
BARONG_EXTRA_ENV=${BARONG_EXTRA_ENV:-}
KEYS=${KEYS:-64}
REDIS_URL=${BARONG_REDIS_URL:-redis://127.0.0.1:6379/0}
PREFIX="barongbench$(date +%s)$$:"
PATH_AUTHZ=/api/v2/auth/api/v2/peatio/account/balances
# Targets of issue 13.
MIN_RATIO=70
MAX_P99_MS=3
# Ports of barong and bare (not bench-ping.sh's, which may run meanwhile).
BARONG_PORT=${BARONG_PORT:-18100}
BARE_PORT=${BARE_PORT:-18101}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
[ "$REDIS" = 0 ] || command -v redis-cli >/dev/null || { echo "redis-cli is required (or REDIS=0)"; exit 1; }
work=$(mktemp -d)
redis_pid=""
[ "$REDIS" = 0 ] || redis_pid=$(pgrep -x redis-server | head -1 || true)
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
  if [ "$REDIS" != 0 ]; then
    redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

load1() { cut -d' ' -f1 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
echo "uptime before: $(uptime)"
for port in "$BARONG_PORT" "$BARE_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is in use"; exit 1; fi
done
go build -o "$work/barong" ./cmd/barong
go build -o "$work/bare" ./scripts/bare
go build -o "$work/authzload" ./scripts/authzload

export BARONG_HTTP_ADDR=127.0.0.1:$BARONG_PORT LOG_LEVEL=warn BARONG_LOGIN_THROTTLE_ENABLED=false
if [ "$REDIS" != 0 ]; then
  export BARONG_REDIS_URL="$REDIS_URL" BARONG_REDIS_PREFIX="$PREFIX"
  echo "barong: Redis sessions ($REDIS_URL), SQLite database"
else
  unset BARONG_REDIS_URL
  echo "barong: the embedded default (SQLite database and sessions), no Redis"
fi
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

# wrk_run PORT CONNS SECONDS: cookie-mode wrk; prints "requests req/s p99".
wrk_run() {
  $GEN wrk -t"$THREADS" -c"$2" -d"$3" --latency -H "Cookie: $cookie" -H "User-Agent: $ua" "http://127.0.0.1:$1$PATH_AUTHZ" |
    awk '/requests in/{n=$1} /Requests\/sec/{r=$2} /^ +99%/{p=$2} /Non-2xx/{bad=$NF}
      END{if (bad) print "NON-2xx:" bad; print n, r, p}'
}
# key_run PORT CONNS DURATION: API-key mode; prints "requests req/s p99".
key_run() {
  $GEN "$work/authzload" load -url "http://127.0.0.1:$1$PATH_AUTHZ" -keys "$work/keys" -c "$2" -d "$3" |
    sed -E 's/^requests ([0-9]+) .* ([0-9]+) req\/s, p50 [^,]+, p99 ([^,]+),.*/\1 \2 \3/'
}

# CPU accounting, in jiffies (1/100 s): the whole machine, one process,
# this shell's finished children (wrk, authzload).
jiffies() { awk '/^cpu /{print $2+$3+$4}' /proc/stat; }
steal_j() { awk '/^cpu /{print $9}' /proc/stat; }
proc_j() { if [ -n "$1" ] && [ -r "/proc/$1/stat" ]; then awk '{print $14+$15}' "/proc/$1/stat"; else echo 0; fi; }
# children_j must run in this shell, not in $(...): times reports the
# finished children of the shell it runs in. It sets $child_j.
children_j() {
  times >"$work/times"
  child_j=$(tail -1 "$work/times" | awk '{split($1,u,/[ms]/); split($2,s,/[ms]/); printf "%d", (u[1]*60+u[2]+s[1]*60+s[2])*100}')
}
mark() {
  children_j
  m_all=$(jiffies); m_steal=$(steal_j); m_srv=$(proc_j "$1"); m_redis=$(proc_j "$redis_pid"); m_gen=$child_j
  m_other=$(( $(proc_j "$barong_pid") + $(proc_j "$bare_pid") )); m_t=$(date +%s%N)
}
# per_req JIFFIES N: µs per request.
per_req() { awk -v j="$1" -v n="$2" 'BEGIN{if (n>0) printf "%.1f", j*10000/n; else print "-"}'; }
# measure PID N: sets srv_us, redis_us and gen_us (CPU µs per request of
# the server, Redis and the load generator) and other ("others%/steal%" of
# the machine) since mark.
measure() {
  children_j
  local ns=$(( $(date +%s%N) - m_t )) all=$(( $(jiffies) - m_all )) gen=$(( child_j - m_gen ))
  local ours=$(( $(proc_j "$barong_pid") + $(proc_j "$bare_pid") - m_other + gen + $(proc_j "$redis_pid") - m_redis ))
  srv_us=$(per_req $(( $(proc_j "$1") - m_srv )) "$2")
  redis_us=$(per_req $(( $(proc_j "$redis_pid") - m_redis )) "$2")
  gen_us=$(per_req "$gen" "$2")
  other=$(awk -v f=$((all - ours)) -v st=$(( $(steal_j) - m_steal )) -v ns="$ns" -v c="$(nproc)" \
    'BEGIN{v=f*1e9/100/ns/c*100; if (v<0) v=0; printf "%.0f%%/%.0f%%", v, st*1e9/100/ns/c*100}')
}

if [ "$SHARED" = 1 ]; then
  [ "$REDIS" != 0 ] || { echo "SHARED=1 needs Redis"; exit 1; }
  awk '{print $1}' "$work/keys" | while read -r kid; do
    redis-cli -u "$REDIS_URL" set "${PREFIX}nonceowner:$kid" s:0 px 3600000 >/dev/null
  done
  echo "API keys marked shared: every nonce is checked in Redis"
fi
echo "warm-up"
for port in "$BARONG_PORT" "$BARE_PORT"; do
  wrk_run "$port" "$CONNS" 2s >/dev/null; key_run "$port" "$CONNS" 2s >/dev/null
done
# With perf (and tracepoints readable), the system calls and context
# switches per request of the server, which move little with the load.
PERF=0
if command -v perf >/dev/null && perf stat -x, -e raw_syscalls:sys_enter,context-switches -p $$ -- true >/dev/null 2>&1; then PERF=1; fi
printf '%-4s %-7s %-6s %6s %10s %9s %9s %9s %9s %12s %9s %9s\n' run mode target load1 req/s p99 cpu/req redis/req gen/req other/steal sys/req cs/req
: >"$work/results"
for run in $(seq 1 "$RUNS"); do
  for mode in $MODES; do
    for target in "bare:$BARE_PORT:$bare_pid" "barong:$BARONG_PORT:$barong_pid"; do
      IFS=: read -r name port pid <<<"$target"
      l=$(load1)
      mark "$pid"
      [ "$PERF" = 1 ] && { perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$pid" -o "$work/perf" & perf_pid=$!; }
      if [ "$mode" = cookie ]; then wrk_run "$port" "$CONNS" "$DURATION" >"$work/out" || echo "0 failed -" >"$work/out"
      else key_run "$port" "$CONNS" "$DURATION" >"$work/out" || echo "0 failed -" >"$work/out"; fi
      sys="-"; cs="-"
      if [ "$PERF" = 1 ]; then
        kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true
      fi
      read -r n rps p99 <"$work/out"
      measure "$pid" "$n"
      if [ "$PERF" = 1 ] && [ "${n:-0}" -gt 0 ] 2>/dev/null; then
        read -r sys cs < <(awk -F, -v n="$n" '/sys_enter/{s=$1} /context-switches/{c=$1} END{printf "%.2f %.2f\n", s/n, c/n}' "$work/perf")
      fi
      printf '%-4s %-7s %-6s %6s %10s %9s %7sµs %7sµs %7sµs %12s %9s %9s\n' "$run" "$mode" "$name" "$l" "$rps" "$p99" "$srv_us" "$redis_us" "$gen_us" "$other" "$sys" "$cs"
      echo "$run $mode $name $rps $p99 $srv_us $redis_us $l $gen_us" >>"$work/results"
    done
  done
done
echo "uptime after the runs: $(uptime)"

# Summary: medians over the runs; the ratio is the median of the per-run
# ratios (each run's barong against the bare run just before it).
echo
echo "summary ($RUNS runs of $DURATION, $CONNS connections; targets: >= $MIN_RATIO% of bare, p99 < $MAX_P99_MS ms)"
for mode in $MODES; do
  awk -v mode="$mode" -v minr="$MIN_RATIO" -v maxp="$MAX_P99_MS" '
    function ms(v) { if (v ~ /(us|µs)$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v+0 }
    function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
    $2 == mode && $3 == "bare"   { nb++; bare[nb] = $4; bp[nb] = ms($5); bc[nb] = $6; bl[nb] = $8; cb = $6 + $7 + $9 }
    $2 == mode && $3 == "barong" { ng++; bar[ng] = $4; gp[ng] = ms($5); gc[ng] = $6; gr[ng] = $7
      if (bare[ng] > 0) r[ng] = $4 / bare[ng] * 100
      if ($6 + $7 + $9 > 0) cr[ng] = cb / ($6 + $7 + $9) * 100 }
    END {
      if (!ng) exit
      rat = median(r, ng); p99 = median(gp, ng)
      printf "  %-7s bare %6.0f req/s, p99 %5.2f ms, %4.1f µs | barong %6.0f req/s, p99 %5.2f ms, %4.1f µs + Redis %3.1f µs | load1 %.1f\n",
        mode, median(bare, nb), median(bp, nb), median(bc, nb), median(bar, ng), p99, median(gc, ng), median(gr, ng), median(bl, nb)
      printf "  %-7s rate %3.0f%% of bare (%s), p99 %s; by CPU per request %3.0f%%\n",
        "", rat, (rat >= minr ? "MET" : "NOT MET"), (p99 < maxp ? "MET" : "NOT MET"), median(cr, ng)
    }' "$work/results"
done

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
