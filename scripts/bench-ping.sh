#!/usr/bin/env bash
# Load test of GET /api/v2/auth/identity/ping: barong (embedded default)
# against a bare net/http handler (scripts/bare), same wrk settings, on
# loopback, alternating. Also reports barong's idle resident memory
# (VmRSS) at 3 s, 30 s and 60 s after start, before any request.
# Bounded: RUNS x 2 x DURATION of load plus IDLE_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
IDLE_SECONDS=${IDLE_SECONDS:-60}
BARONG_PORT=${BARONG_PORT:-18000}
BARE_PORT=${BARE_PORT:-18001}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$work/barong" ./cmd/barong
go build -o "$work/bare" ./scripts/bare
(cd "$work" && BARONG_HTTP_ADDR=127.0.0.1:$BARONG_PORT exec ./barong serve 2>"$work/barong.log") &
barong_pid=$!
pids+=("$barong_pid")
"$work/bare" -addr "127.0.0.1:$BARE_PORT" &
pids+=($!)
rss() { awk '/VmRSS/{print $2}' "/proc/$barong_pid/status"; }
# Idle memory: wait for the port without sending an HTTP request.
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$BARONG_PORT") 2>/dev/null && break; sleep 0.1; done
start=$(date +%s)
for t in 3 30 "$IDLE_SECONDS"; do
  [ "$t" -gt "$IDLE_SECONDS" ] && continue
  sleep $((start + t - $(date +%s))) 2>/dev/null || true
  echo "idle RSS of barong at ${t}s: $(rss) kB"
done
for port in "$BARONG_PORT" "$BARE_PORT"; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/api/v2/auth/identity/ping" >/dev/null && break; sleep 0.2; done
done
wrk_run() {
  wrk -t"$THREADS" -c"$CONNS" -d"$2" --latency "http://127.0.0.1:$1/api/v2/auth/identity/ping" |
    awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} /Non-2xx/{bad=$NF} END{if (bad) print "NON-2xx:" bad; print r, p}'
}
wrk_run "$BARE_PORT" 2s >/dev/null; wrk_run "$BARONG_PORT" 2s >/dev/null
printf '%-4s %10s %9s %10s %9s %6s\n' run bare p99 barong p99 ratio
for run in $(seq 1 "$RUNS"); do
  read -r brps bp99 < <(wrk_run "$BARE_PORT" "$DURATION")
  read -r rps p99 < <(wrk_run "$BARONG_PORT" "$DURATION")
  printf '%-4s %10s %9s %10s %9s %6s\n' "$run" "$brps" "$bp99" "$rps" "$p99" "$(awk -v a="$rps" -v b="$brps" 'BEGIN{printf "%.0f%%", a*100/b}')"
done
echo "RSS of barong after the load: $(rss) kB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
