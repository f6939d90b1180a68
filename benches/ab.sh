#!/usr/bin/env bash
# Before and after: a git revision's release build against this tree's, on
# loopback, interleaved (before, after, before, ...) so machine drift hits
# both; prints the medians and after / before. For "did this change cost
# anything?" — compare.sh is the comparison with nginx.
#
# Usage: benches/ab.sh REV          needs: apt-get install wrk
# Environment: ROUNDS (5), SECONDS_PER_RUN (5)
set -euo pipefail
source "$(dirname "$0")/common.sh"
rev="${1:?usage: benches/ab.sh REV}"
rounds="${ROUNDS:-5}"
per_run="${SECONDS_PER_RUN:-5}"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

build_release
work="$(mktemp -d)"
git -C "$repo" worktree add --quiet --detach "$work/before" "$rev"
(cd "$work/before" && cargo build --release --quiet --target-dir "$target_dir/ab")
before_binary="$target_dir/ab/release/glasshttp"
root="$work/root"
mkdir -p "$root"
cp -r "$repo"/www/. "$root/"
head -c $((1 << 20)) /dev/urandom >"$root/1mib.bin"

cleanup() {
  kill "${BEFORE_PID:-}" "${GLASS_PID:-}" 2>/dev/null || true
  git -C "$repo" worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BINARY="$before_binary" start_glasshttp "$root"
BEFORE_PID=$GLASS_PID BEFORE_PORT=$GLASS_PORT
start_glasshttp "$root"

rate() { # PORT PATH CONNECTIONS [EXTRA...] -> requests/s
  local port="$1" path="$2" connections="$3"; shift 3
  wrk -t2 -c"$connections" -d"${per_run}s" "$@" "http://127.0.0.1:$port$path" 2>&1 |
    awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| test | $rev | this tree | after / before |"
echo "|---|---|---|---|"
measure() { # NAME ARGS...
  local name="$1"; shift
  local before=() after=()
  for _ in $(seq "$rounds"); do
    before+=("$(rate "$BEFORE_PORT" "$@")")
    after+=("$(rate "$GLASS_PORT" "$@")")
  done
  local b a
  b=$(printf '%s\n' "${before[@]}" | median)
  a=$(printf '%s\n' "${after[@]}" | median)
  printf '| %s | %.0f req/s | %.0f req/s | %s |\n' "$name" "$b" "$a" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')"
}
measure "index.html, keep-alive, 10 connections" /index.html 10
measure "index.html, keep-alive, 100 connections" /index.html 100
measure "index.html, Connection: close, 10 connections" /index.html 10 -H "Connection: close"
measure "1 MiB file, 10 connections" /1mib.bin 10
