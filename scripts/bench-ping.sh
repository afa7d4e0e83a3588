#!/usr/bin/env bash
# Load test of GET /api/v2/auth/identity/ping: barong (embedded default)
# against a bare net/http handler, same wrk settings, on loopback. Also
# reports the idle resident memory of barong. Bounded: 3 runs x DURATION each.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/barong" ./cmd/barong
go build -o "$work/bare" ./scripts/bare
(cd "$work" && BARONG_HTTP_ADDR=127.0.0.1:18000 ./barong serve 2>"$work/barong.log") &
"$work/bare" -addr 127.0.0.1:18001 &
for port in 18000 18001; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/api/v2/auth/identity/ping" >/dev/null && break; sleep 0.2; done
done
sleep 2
pid=$(pgrep -f "$work/barong serve" | head -1)
echo "idle RSS of barong: $(awk '/VmRSS/{print $2, $3}' /proc/$pid/status)"
for run in 1 2 3; do
  for target in bare:18001 barong:18000; do
    name=${target%%:*}; port=${target##*:}
    rps=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/api/v2/auth/identity/ping" | awk '/Requests\/sec/{print $2} /99%/{p99=$2} END{}')
    echo "run $run $name: $rps req/s"
  done
done
echo "RSS of barong after load: $(awk '/VmRSS/{print $2, $3}' /proc/$pid/status)"
