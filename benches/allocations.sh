#!/usr/bin/env bash
# Heap allocations per request: the release build under valgrind's DHAT,
# serving N and then 2N kept-alive GETs of one path on one connection (one
# curl, given the URL that many times); the difference between the two
# runs, over N, is what one request costs, whatever start-up and shutdown
# allocate.
#
# Usage: benches/allocations.sh [PATH]    needs: apt-get install valgrind curl
# Environment: N (1000), GLASSHTTP_BIN (another build, say a baseline),
#              QUIET (--quiet; set it empty to count the access log too)
# PATH defaults to /index.html, a small page served from the cache.
set -euo pipefail
source "$(dirname "$0")/common.sh"
path="${1:-/index.html}"
n="${N:-1000}"
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install valgrind" >&2; exit 2; }
command -v curl >/dev/null || { echo "needs curl: apt-get install curl" >&2; exit 2; }

build_release
work="$(mktemp -d)"
trap 'kill "${GLASS_PID:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/root"
cp -r "$repo"/www/. "$work/root/"

# blocks COUNT: the heap blocks the whole run allocated, serving COUNT
# requests after one that fills the cache.
blocks() {
  local count="$1" banner="$work/banner" log="$work/dhat.log"
  valgrind --tool=dhat --dhat-out-file=/dev/null --log-file="$log" \
    "$binary" --root "$work/root" --port 0 ${QUIET---quiet} --cache-settle-ms 0 >"$banner" 2>&1 &
  GLASS_PID=$!
  local port=""
  for _ in $(seq 600); do
    port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$banner" | head -1 | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "glasshttp did not start under valgrind" >&2; exit 1; }
  curl -s -o /dev/null "http://127.0.0.1:$port$path"
  local config="$work/urls"
  for _ in $(seq "$count"); do
    printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$port" "$path"
  done >"$config"
  curl -s --config "$config"
  kill -INT "$GLASS_PID"
  wait "$GLASS_PID" || true
  awk '/Total:/ { gsub(",", "", $0); for (i = 1; i <= NF; i++) if ($(i + 1) == "blocks") print $i }' "$log"
}

one=$(blocks "$n")
two=$(blocks $((2 * n)))
awk -v a="$one" -v b="$two" -v n="$n" -v p="$path" \
  'BEGIN { printf "%s: %.1f heap blocks a request (%d, then %d, over %d more requests)\n", p, (b - a) / n, a, b, n }'
