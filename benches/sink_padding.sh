#!/usr/bin/env bash
# The multipart reader's cost: CPU and memory of an upload whose delimiter
# is followed by MiB of transport padding (RFC 2046 allows any amount),
# beside a plain upload of the same size, interleaved. Loopback only.
# Usage: benches/sink_padding.sh [MIB] [ROUNDS]   (default 100 MiB, 3 rounds)
#        GLASSHTTP_BIN=path/to/glasshttp measures another build.
set -euo pipefail
source "$(dirname "$0")/common.sh"
mib="${1:-100}"
rounds="${2:-3}"
command -v curl >/dev/null || { echo "needs curl: apt-get install curl" >&2; exit 2; }

build_release
work="$(mktemp -d)"
trap 'kill "$GLASS_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/root"

# Two bodies of the same size: one part of MIB MiB of content; and a
# delimiter followed by MIB MiB of spaces, then a small part.
head=$'Content-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n'
{ printf -- '--B\r\n%s' "$head"; head -c "$((mib << 20))" /dev/zero | tr '\0' 'x'; printf '\r\n--B--\r\n'; } >"$work/plain"
{ printf -- '--B'; head -c "$((mib << 20))" /dev/zero | tr '\0' ' '; printf '\r\n%sok\r\n--B--\r\n' "$head"; } >"$work/padded"

start_glasshttp "$work/root" --sink /upload --sink-limit 4G
ticks=$(getconf CLK_TCK)

printf '%-8s %-6s %10s %12s %s\n' body round "CPU (s)" "RSS (MiB)" status
for round in $(seq "$rounds"); do
  for body in plain padded; do
    before=$(cpu_ticks "$GLASS_PID")
    status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 600 \
      -H 'Content-Type: multipart/form-data; boundary=B' \
      --data-binary "@$work/$body" "http://127.0.0.1:$GLASS_PORT/upload")
    after=$(cpu_ticks "$GLASS_PID")
    cpu=$(awk -v t="$((after - before))" -v hz="$ticks" 'BEGIN {printf "%.2f", t / hz}')
    rss=$(awk -v k="$(rss_kib "$GLASS_PID")" 'BEGIN {printf "%.1f", k / 1024}')
    printf '%-8s %-6s %10s %12s %s\n' "$body" "$round" "$cpu" "$rss" "$status"
  done
done
printf 'peak RSS: %.1f MiB\n' "$(awk -v k="$(hwm_kib "$GLASS_PID")" 'BEGIN {print k / 1024}')"
stop_glasshttp
