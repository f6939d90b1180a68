#!/usr/bin/env bash
# The Windows folder as a student gets it: unzips OUT.zip (from
# .ci/windows-zip) into a fresh folder, starts glasshttp.exe there under Wine
# with no --root, as a double-click does, and again from another directory,
# and checks the lab's answers with curl: the page, the logo, the audio's
# 206, a 304, a 404, and both loopback families. Ends with "N passed, N failed".
#
# Usage: tests/support/wine/zip-check.sh OUT.zip
set -euo pipefail
zip="$(realpath "${1:?usage: zip-check.sh OUT.zip}")"
cd "$(dirname "$0")/../../.."
source .ci/common.sh
wine=${WINE:-/usr/lib/wine/wine64}
need python3 "apt-get install python3"
need curl "apt-get install curl"
need x86_64-w64-mingw32-gcc "apt-get install gcc-mingw-w64-x86-64"
[ -x "$wine" ] || { echo "zip-check.sh: needs Wine at $wine: apt-get install wine64 (or set WINE)" >&2; exit 2; }
export WINEPREFIX=${WINEPREFIX:-$(cargo_target_dir)/wineprefix}
export WINEDEBUG=-all
wineserver=$(dirname "$wine")/wineserver
"$wineserver" -p 2>/dev/null || true

work="$(mktemp -d)"
cleanup() {
  [ -z "${SERVER_PID:-}" ] || kill "$SERVER_PID" 2>/dev/null || true
  "$wineserver" -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$zip" "$work"
folder="$work/glasshttp-windows"
# Wine 8.0 lacks ProcessPrng, which Rust's std imports (Windows has it):
# the same stand-in the Wine suite puts beside the exe.
x86_64-w64-mingw32-gcc -O2 -shared -o "$folder/bcryptprimitives.dll" \
  tests/support/wine/bcryptprimitives.c tests/support/wine/bcryptprimitives.def -ladvapi32

passed=0 failed=0
check() { # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1"
  else failed=$((failed + 1)); echo "FAILED: $1: expected [$2], got [$3]"; fi
}

start() { # DIRECTORY: starts the exe from there with no --root; sets PORT
  local banner="$work/banner"
  (cd "$1" && exec "$wine" "$folder/glasshttp.exe" --port 0 --quiet) </dev/null >"$banner" 2>"$work/stderr" &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 200); do
    PORT=$(grep -oE 'Running on http://127\.0\.0\.1:[0-9]+' "$banner" | grep -oE '[0-9]+$' || true)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  BANNER="$(cat "$banner")"
}

stop() {
  kill -INT "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

status() { # URL [CURL ARGS...]
  local url="$1"; shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url"
}

for from in "$folder" "$work"; do
  start "$from"
  where="started in $(basename "$from")"
  check "$where: the banner names the www beside the exe" yes \
    "$(grep -q 'serving .*glasshttp-windows\\www' <<<"$BANNER" && echo yes || echo "no: $BANNER")"
  base="http://127.0.0.1:$PORT"
  check "$where: the page" 200 "$(status "$base/")"
  check "$where: the page is the lab's" yes \
    "$(curl -s --max-time 10 "$base/" | grep -q 2026000123 && echo yes || echo no)"
  check "$where: the logo" "200 image/png" \
    "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 10 "$base/logo.png")"
  check "$where: the audio's first KiB" "206 bytes 0-1023/$(stat -c %s "$folder/www/introduction.mp3")" \
    "$(curl -s -o /dev/null -D - -r 0-1023 --max-time 10 "$base/introduction.mp3" \
       | awk 'NR == 1 {code = $2} tolower($1) == "content-range:" {sub(/\r$/, ""); print code, $2, $3}')"
  etag=$(curl -s -o /dev/null -D - --max-time 10 "$base/" | awk 'tolower($1) == "etag:" {sub(/\r$/, ""); print $2}')
  check "$where: a revalidation" 304 "$(status "$base/" -H "If-None-Match: $etag")"
  check "$where: the favicon" 404 "$(status "$base/favicon.ico")"
  check "$where: IPv6 loopback" 200 "$(status "http://[::1]:$PORT/")"
  stop
done

# A start-up error ends the process, even with no console to wait in.
code=0
(cd "$folder" && timeout 60 "$wine" glasshttp.exe --root no-such-folder </dev/null >/dev/null 2>"$work/error") || code=$?
check "a missing root is an error" yes \
  "$([ "$code" -ne 0 ] && grep -qE 'there is no folder no-such-folder to serve|没有 no-such-folder 这个文件夹' "$work/error" && echo yes || echo "no ($code)")"

# The guides open with a double-click: HTML, whole, every link inside the
# folder resolving (the other guide, or a heading of the same one).
for guide in LAB.html LAB.zh-CN.html; do
  check "$guide: a page with its tables and commands" yes \
    "$(grep -q '<table' "$folder/docs/$guide" && grep -q '<pre><code' "$folder/docs/$guide" && echo yes || echo no)"
  check "$guide: every link resolves inside the folder" "" "$(python3 - "$folder/docs" "$guide" <<'PY'
import html, os, re, sys, urllib.parse
folder, name = sys.argv[1], sys.argv[2]
def ids(page):
    return set(re.findall(r' id="([^"]+)"', open(os.path.join(folder, page), encoding="utf-8").read()))
text = open(os.path.join(folder, name), encoding="utf-8").read()
for href in re.findall(r'href="([^"]*)"', text):
    href = urllib.parse.unquote(html.unescape(href))
    if href.startswith(("http://", "https://")):
        continue
    page, _, anchor = href.partition("#")
    page = page or name
    if not os.path.exists(os.path.join(folder, page)) or (anchor and anchor not in ids(page)):
        print(href)
PY
)"
done
check "START-HERE.txt names the HTML guides" yes \
  "$(grep -q 'docs\\LAB.html' "$folder/START-HERE.txt" && grep -q 'docs\\LAB.zh-CN.html' "$folder/START-HERE.txt" && echo yes || echo no)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
