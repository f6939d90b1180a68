#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and prints what each did.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET]   (default 60; needs cargo-fuzz and nightly)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || { echo "install it first: cargo install cargo-fuzz" >&2; exit 2; }
printf '%-20s %14s %8s %s\n' target executions crashes "seconds"
for target in $(cargo +nightly fuzz list); do
  log="$(mktemp)"
  status=0
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  crashes=$(ls "artifacts/$target" 2>/dev/null | grep -c '^crash-' || true)
  printf '%-20s %14s %8s %s\n' "$target" "${runs:-?}" "$crashes" "$seconds"
  if [ "$status" -ne 0 ]; then
    echo "--- $target failed; its log:" >&2
    tail -40 "$log" >&2
    exit "$status"
  fi
  rm -f "$log"
done
