#!/usr/bin/env bash
# Measures what the llmtail sidecar needs, to size the requests/limits in deployment.yaml: the real
# CLI follows a log written at RATE lines/s by `llmtail simulate --follow` (rotated every ROTATE s),
# with checkpoints on and a scrape every SCRAPE s, for DURATION s. Every SCRAPE s it samples the
# sidecar's RSS (/proc/PID/status) and CPU time (/proc/PID/stat), and prints a summary at the end.
#
#   npm run build && deploy/kubernetes/measure-resources.sh            # 300 s at 1,000 lines/s
#   DURATION=600 RATE=2000 deploy/kubernetes/measure-resources.sh
set -euo pipefail

DURATION=${DURATION:-300}
RATE=${RATE:-1000}
ROTATE=${ROTATE:-60}
SCRAPE=${SCRAPE:-5}
PORT=${PORT:-19838}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NODE=${NODE:-$ROOT/node_modules/.bin/node}
CLI=$ROOT/dist/src/cli/main.js
WORK=$(mktemp -d)
TICK=$(getconf CLK_TCK)

cleanup() {
  kill -TERM "${SIM:-}" "${SIDECAR:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/logs" "$WORK/state"
"$NODE" "$CLI" simulate --follow --out "$WORK/logs/requests.jsonl" --rate "$RATE" --rotate-every "$ROTATE" --shape mixed 2>"$WORK/simulate.err" &
SIM=$!
sleep 0.5
"$NODE" "$CLI" run --input "$WORK/logs/*.jsonl" --from-beginning --state-dir "$WORK/state" \
  --web.listen-address "127.0.0.1:$PORT" --log.level warn 2>"$WORK/sidecar.err" &
SIDECAR=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SIDECAR/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SIDECAR/status"; }

echo "seconds rss_mib cpu_millicores"
start=$(date +%s.%N)
prev_ticks=$(cpu_ticks)
prev_t=$start
samples=()
while :; do
  sleep "$SCRAPE"
  curl -fs -H 'Accept: application/openmetrics-text' "http://127.0.0.1:$PORT/metrics" -o "$WORK/last-scrape"
  now=$(date +%s.%N)
  ticks=$(cpu_ticks)
  rss=$(rss_kib)
  line=$(awk -v t="$now" -v s="$start" -v pt="$prev_t" -v c="$ticks" -v pc="$prev_ticks" -v hz="$TICK" -v r="$rss" \
    'BEGIN { printf "%.0f %.1f %.0f", t - s, r / 1024, 1000 * (c - pc) / hz / (t - pt) }')
  echo "$line"
  samples+=("$line")
  prev_ticks=$ticks
  prev_t=$now
  awk -v t="$now" -v s="$start" -v d="$DURATION" 'BEGIN { exit !(t - s >= d) }' && break
done

kill -TERM "$SIM"
wait "$SIM" || true
sleep 2
written=$(grep -o '"linesWritten":[0-9]*' "$WORK/simulate.err" | cut -d: -f2)
counted=$(curl -fs "http://127.0.0.1:$PORT/metrics" | awk '/^llmtail_lines_total\{/ { s += $2 } END { print s + 0 }')
peak=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SIDECAR/status")
cpu_p95=$(printf '%s\n' "${samples[@]}" | awk '{ print $3 }' | sort -n | awk '{ v[NR] = $1 } END { i = int(0.95 * NR + 0.5); print v[i < 1 ? 1 : i] }')
printf '%s\n' "${samples[@]}" | awk -v peak="$peak" -v p95="$cpu_p95" -v w="$written" -v c="$counted" '
  { n++; last = $2; sum += $3; if ($3 > max) max = $3; if ($2 > rmax) rmax = $2 }
  END {
    printf "summary: samples=%d rss_max_mib=%.1f rss_last_mib=%.1f vmhwm_mib=%s cpu_mean_m=%.0f cpu_p95_m=%s cpu_max_m=%.0f lines_written=%s lines_counted=%s\n",
      n, rmax, last, peak, sum / n, p95, max, w, c
  }'
kill -TERM "$SIDECAR"
wait "$SIDECAR" || true
