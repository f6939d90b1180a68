# shellcheck shell=bash
# Helpers for the scripts in .ci/ and tests/support/: where cargo puts what
# it builds, and one line for each missing prerequisite. Source it.

# Cargo's target directory (CARGO_TARGET_DIR, a config's, or ./target).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# need COMMAND HOW: exits with HOW when COMMAND is not installed.
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$(basename "$0"): needs $1: $2" >&2; exit 2; }
}

# need_target TRIPLE: exits unless rustup has the target's standard library.
need_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" ||
    { echo "$(basename "$0"): needs the $1 target: rustup target add $1" >&2; exit 2; }
}
