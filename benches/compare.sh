#!/usr/bin/env bash
# glasshttp side by side with nginx, on loopback, in one run: the Linux fast
# path, the portable path (std only, what Windows and macOS run), the probe
# (benches/probe.rs: the design's ceiling, one thread per connection and a
# canned response) and nginx.
# Each test runs interleaved (fast, portable, nginx, fast, ...) so machine
# drift hits all three; the table shows the medians and the ratios to nginx.
#
# Usage: benches/compare.sh          needs: apt-get install nginx wrk curl python3
# Environment: ROUNDS (3), SECONDS_PER_RUN (5), IDLE_CONNECTIONS (10000),
#              PORTABLE (1; 0 leaves the portable path out), PROBE (1; 0 leaves
#              the probe out), HTTPS (1; 0 leaves the HTTPS rows out),
#              DEFERRED (1; 0 leaves out the row with both deferring accept),
#              ONLY (https or deferred: those rows alone)
set -euo pipefail
source "$(dirname "$0")/common.sh"
rounds="${ROUNDS:-3}"
per_run="${SECONDS_PER_RUN:-5}"
idle_connections="${IDLE_CONNECTIONS:-10000}"
with_portable="${PORTABLE:-1}"
with_probe="${PROBE:-1}"
with_https="${HTTPS:-1}"
with_deferred="${DEFERRED:-1}"
only="${ONLY:-}"
command -v openssl >/dev/null || with_https=0
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install $tool" >&2; exit 2; }
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
have_nginx=1
[ -x "$nginx_bin" ] || { have_nginx=0; echo "nginx not installed (apt-get install nginx): glasshttp only" >&2; }
ulimit -n 65536 2>/dev/null || true

build_release
[ "$with_portable" -eq 1 ] && build_portable
[ "$with_probe" -eq 1 ] && build_probe
work="$(mktemp -d)"
root="$work/root"
mkdir -p "$root"
cp -r "$repo"/www/. "$root/"
head -c $((1 << 20)) /dev/urandom >"$root/1mib.bin"
head -c $((100 << 20)) /dev/urandom >"$root/100mib.bin"
chmod -R a+rX "$work"
# One certificate for both servers' HTTPS: ECDSA P-256, as glasshttp's own
# CA makes them, so the handshakes cost the same signature.
if [ "$with_https" -eq 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_nginx() {
  NGINX_PORT=$(free_port)
  NGINX_TLS_PORT=$(free_port)
  NGINX_DEFERRED_PORT=$(free_port)
  local tls_server=""
  [ "$with_https" -eq 1 ] && tls_server="server { listen 127.0.0.1:$NGINX_TLS_PORT ssl; root $root;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3; ssl_session_cache shared:SSL:10m; ssl_session_tickets on; }"
  cat >"$work/nginx.conf" <<CONF
user root;
worker_processes $(nproc);
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000000;
  types { text/html html; image/png png; audio/mpeg mp3; }
  gzip on;
  gzip_comp_level 6;
  gzip_vary on;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$NGINX_PORT; root $root; }
  server { listen 127.0.0.1:$NGINX_DEFERRED_PORT deferred; root $root; }
  $tls_server
}
CONF
  "$nginx_bin" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && return; sleep 0.05; done
  echo "nginx did not start" >&2; exit 1
}

start_probe() {
  local banner="$work/probe-banner"
  "$probe_binary" "$root/index.html" >"$banner" 2>&1 &
  PROBE_PID=$!
  for _ in $(seq 100); do
    PROBE_PORT=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$banner" | grep -oE '[0-9]+$' || true)
    [ -n "$PROBE_PORT" ] && return
    sleep 0.05
  done
  echo "the probe did not start" >&2; exit 1
}

cleanup() {
  kill "${GLASS_PID:-}" "${GLASS_TLS_PID:-}" "${GLASS_DEFERRED_PID:-}" "${PORTABLE_PID:-}" "${PROBE_PID:-}" "${NGINX_PID:-}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$with_portable" -eq 1 ]; then
  BINARY="$portable_binary" start_glasshttp "$root"
  PORTABLE_PID=$GLASS_PID PORTABLE_PORT=$GLASS_PORT
fi
start_glasshttp "$root"
[ "$with_probe" -eq 1 ] && start_probe
[ "$have_nginx" -eq 1 ] && start_nginx
servers=(glass)
[ "$with_portable" -eq 1 ] && servers+=(portable)
[ "$with_probe" -eq 1 ] && servers+=(probe)
[ "$have_nginx" -eq 1 ] && servers+=(nginx)

# Sum of the peak RSS of a process and its children (nginx's workers), KiB.
peak_rss_tree() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(hwm_kib "$pid")))
  done
  echo "$total"
}


# wrk_run PID PORT PATH CONNECTIONS [EXTRA...] -> "rate p99 transfer cpu_us_per_request"
wrk_run() {
  local pid="$1" port="$2" path="$3" connections="$4"; shift 4
  local threads=$(( connections < 2 ? 1 : 2 ))
  local out before after
  before=$(cpu_ticks "$pid")
  out=$(wrk -t"$threads" -c"$connections" -d"${per_run}s" --timeout 10s --latency "$@" "${scheme:-http}://127.0.0.1:$port$path" 2>&1)
  after=$(cpu_ticks "$pid")
  local rate p99 transfer errors requests cpu
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  transfer=$(awk '/Transfer\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" \
    'BEGIN { if (n + 0 > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }')
  errors=$(grep -oE 'Socket errors:.*|Non-2xx or 3xx responses: [0-9]+' <<<"$out" | tr '\n' ' ' || true)
  [ -z "$errors" ] || echo "  note: $path c=$connections on $port: $errors" >&2
  echo "$rate $p99 $transfer $cpu"
}

# Converts wrk's "123.4MB" / "900.1KB" / "1.2GB" to MB.
to_mb() { awk -v v="$1" 'BEGIN { n = v + 0; u = substr(v, length(v) - 1);
  if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024; else if (u ~ /B$/ && u != "MB") n /= 1048576; printf "%.1f", n }'; }

curl_loop() { # requests per second of one curl process per request
  local url="$1" n=200 start end
  start=$(date +%s.%N)
  for _ in $(seq $n); do curl -s -o /dev/null "$url"; done
  end=$(date +%s.%N)
  awk -v n=$n -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }'
}

curl_glob() { # requests per second of curl's globbing on one connection
  local url="$1" n=5000 start end
  start=$(date +%s.%N)
  curl -s "$url?[1-$n]" >/dev/null
  end=$(date +%s.%N)
  awk -v n=$n -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

rows=()
# measure NAME UNIT KIND ARGS...: KIND is wrk-rate, wrk-mb, curl-loop or curl-glob.
measure() {
  local name="$1" unit="$2" kind="$3"; shift 3
  declare -A vals=() p99s=() cpus=()
  local server r
  for _ in $(seq "$rounds"); do
    for server in "${servers[@]}"; do
      local port pid
      case "$server" in
        glass) port=$GLASS_PORT pid=$GLASS_PID ;;
        portable) port=$PORTABLE_PORT pid=$PORTABLE_PID ;;
        probe) port=$PROBE_PORT pid=$PROBE_PID ;;
        nginx) port=$NGINX_PORT pid=$NGINX_PID ;;
      esac
      # The probe answers index.html whatever is asked: only its rows.
      [ "$server" = probe ] && [ "$kind" = wrk-mb ] && continue
      local value p99="-" cpu="-"
      case "$kind" in
        curl-loop) value=$(curl_loop "http://127.0.0.1:$port$1") ;;
        curl-glob) value=$(curl_glob "http://127.0.0.1:$port$1") ;;
        wrk-rate) read -r value p99 _ cpu < <(wrk_run "$pid" "$port" "$@") ;;
        wrk-mb) read -r _ p99 r cpu < <(wrk_run "$pid" "$port" "$@"); value=$(to_mb "$r") ;;
      esac
      vals[$server]+="$value "
      p99s[$server]+="$p99 "
      cpus[$server]+="$cpu "
    done
  done
  declare -A med=() mid_p99=() mid_cpu=()
  for server in glass portable probe nginx; do
    if [ -n "${vals[$server]:-}" ]; then
      med[$server]=$(tr ' ' '\n' <<<"${vals[$server]}" | grep . | median)
      local p=(${p99s[$server]})
      mid_p99[$server]=${p[${#p[@]}/2]}
      mid_cpu[$server]=$(tr ' ' '\n' <<<"${cpus[$server]}" | { grep -v '^-*$' || true; } | median)
    else
      med[$server]="-"; mid_p99[$server]="-"; mid_cpu[$server]="-"
    fi
  done
  ratio() { awk -v g="$1" -v n="$2" 'BEGIN { if (n + 0 > 0 && g + 0 > 0) printf "%.2fx", g / n; else print "-" }'; }
  rows+=("$(printf '| %s | %s %s | %s | %s | %s %s | %s | %s | %s %s | %s | %s %s | %s | %s | %s | %s | %s |' "$name" \
    "${med[glass]}" "$unit" "${mid_p99[glass]}" "${mid_cpu[glass]}" \
    "${med[portable]}" "$unit" "${mid_p99[portable]}" "${mid_cpu[portable]}" \
    "${med[probe]}" "$unit" "${mid_cpu[probe]}" \
    "${med[nginx]}" "$unit" "${mid_p99[nginx]}" "${mid_cpu[nginx]}" \
    "$(ratio "${med[glass]}" "${med[nginx]}")" "$(ratio "${med[portable]}" "${med[nginx]}")" \
    "$(ratio "${med[glass]}" "${med[probe]}")")")
  echo "${rows[-1]}" >&2
}

# The HTTPS rows: glasshttp (the fast path, --tls-cert) and nginx, TLS 1.3
# with the same certificate: a kept-alive connection, and a new connection
# for every request. wrk resumes the session on each new connection, and
# both servers let it (rustls's default ticket store; nginx's session cache
# and tickets), so that row is a resumed handshake per request, as a
# browser's next connection is. The other servers sit these rows out.
https_rows() {
  [ "$with_https" -eq 1 ] && [ "$have_nginx" -eq 1 ] || return 0
  local plain_port=$GLASS_PORT plain_pid=$GLASS_PID plain_servers=("${servers[@]}")
  start_glasshttp "$root" --tls --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  GLASS_TLS_PID=$GLASS_PID
  local plain_nginx_port=$NGINX_PORT
  NGINX_PORT=$NGINX_TLS_PORT servers=(glass nginx) scheme=https
  echo "HTTPS rows: interleaved ${servers[*]}" >&2
  measure "wrk index.html over HTTPS (TLS 1.3, P-256), keep-alive, 10 connections" "req/s" wrk-rate /index.html 10
  measure "wrk index.html over HTTPS (TLS 1.3, P-256), a new (resumed) connection per request, 10" "req/s" wrk-rate /index.html 10 -H "Connection: close"
  kill "$GLASS_TLS_PID" 2>/dev/null || true
  GLASS_PORT=$plain_port GLASS_PID=$plain_pid NGINX_PORT=$plain_nginx_port servers=("${plain_servers[@]}") scheme=http
}

# New connections with both servers deferring accept until the request
# arrives (glasshttp --defer-accept, nginx's listen ... deferred), each on
# its own port: the kernel wakes neither for a connection with nothing to
# read yet. Both are off by default (see docs/FLAGS.md for why).
deferred_rows() {
  [ "$with_deferred" -eq 1 ] && [ "$have_nginx" -eq 1 ] || return 0
  local plain_port=$GLASS_PORT plain_pid=$GLASS_PID plain_servers=("${servers[@]}")
  start_glasshttp "$root" --defer-accept
  GLASS_DEFERRED_PID=$GLASS_PID
  local plain_nginx_port=$NGINX_PORT
  NGINX_PORT=$NGINX_DEFERRED_PORT servers=(glass nginx)
  echo "deferred rows: interleaved ${servers[*]}" >&2
  measure "wrk index.html, Connection: close, 10 connections, both deferring accept" "req/s" wrk-rate /index.html 10 -H "Connection: close"
  kill "$GLASS_DEFERRED_PID" 2>/dev/null || true
  GLASS_PORT=$plain_port GLASS_PID=$plain_pid NGINX_PORT=$plain_nginx_port servers=("${plain_servers[@]}")
}

echo "running: $rounds rounds, ${per_run}s per wrk run, interleaved ${servers[*]}" >&2
if [ -n "$only" ]; then
  case "$only" in
    https) https_rows ;;
    deferred) deferred_rows ;;
    *) echo "ONLY is https or deferred" >&2; exit 2 ;;
  esac
  echo
  echo "| test | glasshttp | p99 | CPU/req | portable | p99 | CPU/req | probe | CPU/req | nginx | p99 | CPU/req | glasshttp / nginx | portable / nginx | glasshttp / probe |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  exit 0
fi
measure "curl loop, new process + connection per request (200)" "req/s" curl-loop /index.html
measure "curl URL globbing, one kept-alive connection (5000)" "req/s" curl-glob /index.html
for c in 1 10 100 1000; do
  measure "wrk index.html, keep-alive, $c connections" "req/s" wrk-rate /index.html "$c"
done
measure "wrk index.html, Connection: close, 10 connections" "req/s" wrk-rate /index.html 10 -H "Connection: close"
deferred_rows
# The same page compressed: glasshttp sends gzip made once per file version;
# nginx (gzip on, level 6) compresses each response.
measure "wrk index.html, keep-alive, 10 connections, Accept-Encoding: gzip" "req/s" wrk-rate /index.html 10 -H "Accept-Encoding: gzip"
measure "wrk 1 MiB file, 10 connections" "MB/s" wrk-mb /1mib.bin 10
measure "wrk 100 MiB file, 2 connections" "MB/s" wrk-mb /100mib.bin 2
https_rows

glass_peak=$(hwm_kib "$GLASS_PID")
portable_peak=$([ "$with_portable" -eq 1 ] && hwm_kib "$PORTABLE_PID" || echo 0)
nginx_peak=$([ "$have_nginx" -eq 1 ] && peak_rss_tree "$NGINX_PID" || echo "-")

# Idle keep-alive connections: a fresh glasshttp with a long idle timeout,
# each connection having made one request, then held open.
kill "$GLASS_PID" 2>/dev/null || true
wait "$GLASS_PID" 2>/dev/null || true
start_glasshttp "$root" --idle-timeout 120
idle_rss=$(python3 - "$GLASS_PORT" "$idle_connections" "$GLASS_PID" <<'PY'
import socket, sys, time
port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = b"GET /index.html HTTP/1.1\r\nHost: b\r\n\r\n"
held = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    held.append(s)
for s in held:  # read each whole response so every connection is idle
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(body) < length:
        body += s.recv(65536)
time.sleep(1)
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:")][0].split()[1]
threads = [l for l in open(f"/proc/{pid}/status") if l.startswith("Threads:")][0].split()[1]
print(rss, threads)
PY
)

echo
echo "glasshttp (Linux fast path, portable path) vs nginx on $(nproc) cores, $(date -u +%Y-%m-%d), medians of $rounds interleaved rounds"
echo
echo "CPU/req: the server's CPU time (user + system, all threads and workers, from /proc) per request, in µs"
echo
echo "| test | glasshttp | p99 | CPU/req | portable | p99 | CPU/req | probe | CPU/req | nginx | p99 | CPU/req | glasshttp / nginx | portable / nginx | glasshttp / probe |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| peak RSS during the runs above | $((glass_peak / 1024)) MiB | | | $((portable_peak / 1024)) MiB | | | | | $([ "$nginx_peak" = "-" ] && echo - || echo $((nginx_peak / 1024))) MiB (master + workers) | | | | | |"
read -r rss idle_threads <<<"$idle_rss"
echo "| RSS holding $idle_connections idle keep-alive connections | $((rss / 1024)) MiB ($idle_threads threads) | | | | | | | | | | | | | |"
