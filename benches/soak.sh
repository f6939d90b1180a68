#!/usr/bin/env bash
# Soak: wrk with 1,000 keep-alive connections against glasshttp on loopback
# for a bounded time (default 60 s), then checks that descriptors return to
# the baseline and memory stays flat. Not part of `cargo test`.
# Usage: benches/soak.sh [SECONDS]      needs: apt-get install wrk
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-60}"
connections=1000
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

build_release
start_glasshttp "$repo/www"
trap 'kill "$GLASS_PID" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$GLASS_PORT/index.html"
curl -fsS -o /dev/null "$url"
base_fds=$(open_fds "$GLASS_PID"); base_rss=$(rss_kib "$GLASS_PID")

wrk_out="$(mktemp)"
wrk -t2 -c"$connections" -d"${seconds}s" --timeout 5s --latency "$url" >"$wrk_out" 2>&1 &
wrk_pid=$!
samples=()
while kill -0 "$wrk_pid" 2>/dev/null; do
  samples+=("$(rss_kib "$GLASS_PID")")
  sleep 5
done
wait "$wrk_pid"
threads_after_load=$(threads "$GLASS_PID")

# Idle keep-alive connections close after the idle timeout (5 s).
for _ in $(seq 40); do
  [ "$(open_fds "$GLASS_PID")" -le "$base_fds" ] && break
  sleep 0.5
done
after_fds=$(open_fds "$GLASS_PID"); after_rss=$(rss_kib "$GLASS_PID")
curl -fsS -o /dev/null "$url"
stop_glasshttp
trap - EXIT

requests=$(grep -oE '[0-9]+ requests in' "$wrk_out" | grep -oE '^[0-9]+')
rate=$(awk '/Requests\/sec/ {print $2}' "$wrk_out")
p99=$(awk '/ 99%/ {print $2}' "$wrk_out")
socket_errors=$(grep -oE 'Socket errors:.*' "$wrk_out" || echo "Socket errors: none")
non2xx=$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$wrk_out" || echo "Non-2xx or 3xx responses: 0")
sorted=$(printf '%s\n' "${samples[@]}" | sort -n)
min_rss=$(echo "$sorted" | head -1); max_rss=$(echo "$sorted" | tail -1)

echo "soak: wrk -t2 -c$connections -d${seconds}s on $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-34s %s\n' "requests (rate, p99)" "$requests ($rate/s, p99 $p99)"
printf '%-34s %s\n' "wrk" "$socket_errors; $non2xx"
printf '%-34s %s\n' "open descriptors before / after" "$base_fds / $after_fds"
printf '%-34s %s\n' "RSS before / during (min-max) / after" "${base_rss} KiB / ${min_rss}-${max_rss} KiB / ${after_rss} KiB"
printf '%-34s %s\n' "RSS every 5 s under load (MiB)" "$(printf '%s\n' "${samples[@]}" | awk '{printf "%.1f ", $1 / 1024}')"
printf '%-34s %s\n' "threads when the load stopped" "$threads_after_load"
printf '%-34s %s\n' "exit status after SIGTERM" "$GLASS_STATUS"
rm -f "$wrk_out"
[ "$after_fds" -le "$base_fds" ] && [ "$GLASS_STATUS" -eq 0 ]
