#!/usr/bin/env bash
# The cost of a directory listing: a directory of ENTRIES (10,000) files,
# listed REQUESTS (50) times over one kept-alive connection by curl's URL
# globbing. Prints the time per listing, the page's size, and the server's
# peak RSS before and after.
#
# Usage: benches/listing.sh          needs: apt-get install curl
set -euo pipefail
source "$(dirname "$0")/common.sh"
entries="${ENTRIES:-10000}"
requests="${REQUESTS:-50}"
build_release
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/big"
( cd "$work/root/big" && seq -f "file-%05g.txt" 1 "$entries" | xargs touch )
start_glasshttp "$work/root"
before=$(hwm_kib "$GLASS_PID")
size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$GLASS_PORT/big/")
start=$(date +%s.%N)
curl -s -o /dev/null "http://127.0.0.1:$GLASS_PORT/big/?[1-$requests]"
end=$(date +%s.%N)
after=$(hwm_kib "$GLASS_PID")
stop_glasshttp
echo "| listing of $entries entries ($size bytes) | $(echo "($end - $start) * 1000 / $requests" | bc -l | xargs printf '%.1f') ms each | peak RSS $((before / 1024)) MiB before, $((after / 1024)) MiB after |"
