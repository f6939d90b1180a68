#!/usr/bin/env bash
# Attacks: slowhttptest in slowloris, slow-body, slow-read and range modes
# against glasshttp on loopback, each bounded in time, while a normal client
# keeps asking for the page. Prints one table. Not part of `cargo test`.
# Usage: benches/attacks.sh [SECONDS_PER_ATTACK]   needs: apt-get install slowhttptest curl
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-30}"
command -v slowhttptest >/dev/null || { echo "needs slowhttptest: apt-get install slowhttptest" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

build_release
start_glasshttp "$repo/www"
trap 'kill "$GLASS_PID" 2>/dev/null || true' EXIT
base="http://127.0.0.1:$GLASS_PORT"

# A normal client asks for the page every 200 ms while an attack runs; half
# way through, the server's open descriptors show the attack's strength.
# Sets PROBE ("ok/total worst_seconds") and MID_FDS.
probe() {
  local until=$((SECONDS + seconds)) half=$((SECONDS + seconds / 2)) ok=0 total=0 worst=0 t
  MID_FDS="?"
  while [ "$SECONDS" -lt "$until" ]; do
    total=$((total + 1))
    if t=$(curl -fsS -o /dev/null --max-time 5 -w '%{time_total}' "$base/"); then
      ok=$((ok + 1))
      worst=$(awk -v a="$worst" -v b="$t" 'BEGIN {print (b > a) ? b : a}')
    fi
    if [ "$MID_FDS" = "?" ] && [ "$SECONDS" -ge "$half" ]; then
      MID_FDS=$(open_fds "$GLASS_PID")
    fi
    sleep 0.2
  done
  PROBE="$ok/$total $worst"
}

printf '%-10s %-12s %-12s %-10s %s\n' attack "server fds" "client ok" "worst (s)" "slowhttptest says"
run() {
  local name="$1"; shift
  local out; out="$(mktemp)"
  timeout $((seconds + 30)) slowhttptest "$@" -l "$seconds" >"$out" 2>&1 &
  local attacker=$!
  sleep 2  # let the attack build up its connections before probing
  probe
  wait "$attacker" || true
  # slowhttptest colours its report; strip the escapes before reading it.
  local report; report=$(sed 's/\x1b\[[0-9;]*m//g' "$out")
  local connected; connected=$(echo "$report" | grep -oE 'connected: +[0-9]+' | awk '{print $2}' | sort -n | tail -1)
  local unavailable; unavailable=$(echo "$report" | grep -cE 'service available: +NO' || true)
  printf '%-10s %-12s %-12s %-10s %s\n' "$name" "$MID_FDS" "${PROBE% *}" "${PROBE#* }" \
    "up to ${connected:-?} connected; 'service available: NO' ${unavailable} times"
  rm -f "$out"
}
run slowloris -H -c 1000 -r 200 -i 10 -s 8192 -u "$base/"
run slow-body -B -c 1000 -r 200 -i 10 -s 8192 -u "$base/"
run slow-read -X -c 1000 -r 200 -w 10 -y 20 -n 5 -z 32 -k 3 -u "$base/introduction.mp3"
run range     -R -c 500 -r 100 -a 5 -b 2000 -u "$base/introduction.mp3"
stop_glasshttp
trap - EXIT
echo "glasshttp exit status after SIGTERM: $GLASS_STATUS"
