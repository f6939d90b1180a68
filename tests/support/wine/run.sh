#!/usr/bin/env bash
# Builds the Windows .exe (x86_64-pc-windows-gnu, linked by mingw-w64) and
# runs the black-box integration tests against it under Wine.
#
# Needs: apt-get install gcc-mingw-w64-x86-64 wine64
#        rustup target add x86_64-pc-windows-gnu
# Extra arguments go to `cargo test` (e.g. a test binary's name).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source .ci/common.sh

target=x86_64-pc-windows-gnu
wine=${WINE:-/usr/lib/wine/wine64}
need python3 "apt-get install python3"
need x86_64-w64-mingw32-gcc "apt-get install gcc-mingw-w64-x86-64"
[ -x "$wine" ] || { echo "run.sh: needs Wine at $wine: apt-get install wine64 (or set WINE)" >&2; exit 2; }
need_target "$target"
out=$(cargo_target_dir)/$target/release

cargo build --release --target "$target"
# Wine 8.0 lacks ProcessPrng, which Rust's std imports: see the C file.
x86_64-w64-mingw32-gcc -O2 -shared -o "$out/bcryptprimitives.dll" \
  tests/support/wine/bcryptprimitives.c tests/support/wine/bcryptprimitives.def -ladvapi32

export WINEPREFIX=${WINEPREFIX:-$(cargo_target_dir)/wineprefix}
export WINEDEBUG=-all
# A persistent wineserver makes every start after the first quick (one
# already running for this prefix is just as good). The first start creates
# the prefix, which takes longer than a test waits for a banner.
wineserver=$(dirname "$wine")/wineserver
"$wineserver" -p 2>/dev/null || true
trap '"$wineserver" -k >/dev/null 2>&1 || true' EXIT
"$wine" "$out/glasshttp.exe" --version

GLASSHTTP_BIN=$out/glasshttp.exe GLASSHTTP_RUNNER=$wine cargo test --tests "$@"
