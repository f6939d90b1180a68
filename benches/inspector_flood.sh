#!/usr/bin/env bash
# The inspector under a flood: wrk sends the site requests with 8 KiB heads
# (backslashes, which JSON writes twice) for SECONDS, on 10 kept-alive
# connections and then with a new connection per request (so that every
# exchange is kept), each once with no viewer and once while 16 slow viewers
# read /connections.json over and over, 4 KiB every 20 ms. Prints the site's
# requests/s and p99 latency and the server's peak resident size (VmHWM) for
# each, side by side. A REV argument adds the same runs of that revision's
# build first, for before and after.
#
# Usage: benches/inspector_flood.sh [REV]   needs: apt-get install wrk
# Environment: SECONDS_PER_RUN (10)
set -euo pipefail
source "$(dirname "$0")/common.sh"
per_run="${SECONDS_PER_RUN:-10}"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

build_release
work="$(mktemp -d)"
builds=("now=$binary")
if [ -n "${1:-}" ]; then
  git -C "$repo" worktree add --quiet --detach "$work/before" "$1"
  (cd "$work/before" && cargo build --release --quiet --target-dir "$target_dir/ab")
  builds=("before=$target_dir/ab/release/glasshttp" "${builds[@]}")
fi
cleanup() {
  kill "${SERVER_PID:-}" "${VIEWERS_PID:-}" 2>/dev/null || true
  [ -z "${1:-}" ] || git -C "$repo" worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root"
cp -r "$repo"/www/. "$work/root/"
filler="$(head -c 8000 /dev/zero | tr '\0' '\\')"

# 16 viewers, each reading the snapshot slowly, again and again, until killed.
cat >"$work/viewers.py" <<'PY'
import socket, sys, threading, time
port = int(sys.argv[1])
def view():
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /connections.json HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
            while s.recv(4096):
                time.sleep(0.02)
            s.close()
        except OSError:
            time.sleep(0.1)
for _ in range(16):
    threading.Thread(target=view, daemon=True).start()
time.sleep(3600)
PY

run() { # NAME BINARY VIEWERS(yes/no) MODE(keep-alive/close)
  local name="$1" build="$2" viewers="$3" mode="$4" banner="$work/banner" out extra=()
  [ "$mode" = keep-alive ] || extra=(-H "Connection: close")
  "$build" --root "$work/root" --port 0 --quiet --inspect 0 >"$banner" 2>&1 &
  SERVER_PID=$!
  local port="" inspector=""
  for _ in $(seq 100); do
    port=$(grep -oE 'Running on http://127\.0\.0\.1:[0-9]+' "$banner" | grep -oE '[0-9]+$' || true)
    inspector=$(grep -oE 'Inspector on http://127\.0\.0\.1:[0-9]+' "$banner" | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && [ -n "$inspector" ] && break
    sleep 0.05
  done
  if [ "$viewers" = yes ]; then
    python3 "$work/viewers.py" "$inspector" &
    VIEWERS_PID=$!
  fi
  out=$(wrk -t2 -c10 -d"${per_run}s" --latency "${extra[@]}" -H "X-Flood: $filler" "http://127.0.0.1:$port/" 2>&1)
  local rate p99 peak
  rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  peak=$(hwm_kib "$SERVER_PID")
  [ -z "${VIEWERS_PID:-}" ] || { kill "$VIEWERS_PID" 2>/dev/null || true; wait "$VIEWERS_PID" 2>/dev/null || true; VIEWERS_PID=""; }
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  printf '%-8s %-11s %-9s %10s %10s %12s\n' "$name" "$mode" "$viewers" "$rate" "$p99" "$((peak / 1024)) MiB"
}

printf '%-8s %-11s %-9s %10s %10s %12s\n' build flood viewers "req/s" "p99" "peak RSS"
for mode in keep-alive close; do
  for build in "${builds[@]}"; do
    run "${build%%=*}" "${build#*=}" no "$mode"
    run "${build%%=*}" "${build#*=}" yes "$mode"
  done
done
