# Helpers shared by the load scripts in benches/: start a release glasshttp
# on a free loopback port, and read its descriptors and memory from /proc.
# Source it; do not run it.

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where cargo puts what it builds (CARGO_TARGET_DIR, or target/).
target_dir="$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# The release build with line tables (the `profiling` profile), so perf can
# name lines. GLASSHTTP_BIN measures another build (say, a baseline).
binary="${GLASSHTTP_BIN:-$target_dir/profiling/glasshttp}"

# The portable path (std only, what Windows and macOS run), built for Linux.
portable_binary="$target_dir/portable/profiling/glasshttp"

build_release() {
  [ -n "${GLASSHTTP_BIN:-}" ] || (cd "$repo" && cargo build --profile profiling --quiet)
}

# benches/probe.rs, built as a bench target; its path from cargo's report.
build_probe() {
  probe_binary=$(cd "$repo" && cargo bench --no-run --bench probe --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "probe" and m.get("executable"):
        print(m["executable"])')
  [ -x "$probe_binary" ] || { echo "the probe did not build" >&2; exit 1; }
}

build_portable() {
  (cd "$repo" && cargo build --profile profiling --quiet --features portable --target-dir "$target_dir/portable")
}

# start_glasshttp ROOT [FLAGS...]: starts the server in the background and
# sets GLASS_PID and GLASS_PORT. BINARY, if set, names the build to start.
start_glasshttp() {
  local root="$1"; shift
  local banner
  banner="$(mktemp)"
  "${BINARY:-$binary}" --root "$root" --port 0 --quiet "$@" >"$banner" 2>&1 &
  GLASS_PID=$!
  for _ in $(seq 100); do
    GLASS_PORT=$(grep -oE 'https?://127\.0\.0\.1:[0-9]+' "$banner" | head -1 | grep -oE '[0-9]+$' || true)
    [ -n "$GLASS_PORT" ] && break
    sleep 0.05
  done
  rm -f "$banner"
  [ -n "$GLASS_PORT" ] || { echo "glasshttp did not start" >&2; exit 1; }
}

# stop_glasshttp: SIGTERM, then wait; sets GLASS_STATUS to the exit status.
# (Not in a subshell: only this shell can wait for its child.)
stop_glasshttp() {
  kill -TERM "$GLASS_PID" 2>/dev/null || true
  GLASS_STATUS=0
  wait "$GLASS_PID" || GLASS_STATUS=$?
}

open_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# CPU time (user + system, in clock ticks) of a process and its children
# (nginx's workers), every thread included.
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)
