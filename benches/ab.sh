#!/usr/bin/env bash
# Before and after: a git revision's release build against this tree's, on
# loopback, interleaved (before, after, before, ...) so machine drift hits
# both; prints the medians of the rates, after / before, and the median CPU
# time (user + system, every thread) each server spent per request, which is
# steadier than the rates. For "did this change cost
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

run() { # PID PORT PATH CONNECTIONS [EXTRA...] -> "requests/s CPU-µs-per-request"
  local pid="$1" port="$2" path="$3" connections="$4"; shift 4
  local out before after
  before=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$connections" -d"${per_run}s" "$@" "http://127.0.0.1:$port$path" 2>&1)
  after=$(cpu_ticks "$pid")
  awk -v t=$((after - before)) -v hz="$ticks_per_second" '
    /requests in/ { n = $1 } /Requests\/sec/ { r = $2 }
    END { printf "%s %.2f\n", r, (n > 0) ? t * 1e6 / hz / n : 0 }' <<<"$out"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| test | $rev | this tree | after / before | CPU µs/request, before → after |"
echo "|---|---|---|---|---|"
measure() { # NAME ARGS...
  local name="$1"; shift
  local before=() after=()
  for _ in $(seq "$rounds"); do
    before+=("$(run "$BEFORE_PID" "$BEFORE_PORT" "$@")")
    after+=("$(run "$GLASS_PID" "$GLASS_PORT" "$@")")
  done
  local b a bc ac
  b=$(printf '%s\n' "${before[@]}" | cut -d' ' -f1 | median)
  a=$(printf '%s\n' "${after[@]}" | cut -d' ' -f1 | median)
  bc=$(printf '%s\n' "${before[@]}" | cut -d' ' -f2 | median)
  ac=$(printf '%s\n' "${after[@]}" | cut -d' ' -f2 | median)
  printf '| %s | %.0f req/s | %.0f req/s | %s | %s → %s |\n' "$name" "$b" "$a" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')" "$bc" "$ac"
}
measure "index.html, keep-alive, 10 connections" /index.html 10
measure "index.html, keep-alive, 100 connections" /index.html 100
measure "index.html, Connection: close, 10 connections" /index.html 10 -H "Connection: close"
measure "1 MiB file, 10 connections" /1mib.bin 10
