#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# starts the services they use, runs every check, and stops what it started.
#
#   scripts/test.sh            # everything
#   scripts/test.sh --quick    # Rust tests only (no formatting, lints or external validators)
#
# With CI=true a missing external tool is a failure, never a skip.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
QUICK=false
[ "${1:-}" = "--quick" ] && QUICK=true

log() { printf '\n== %s\n' "$*" >&2; }

# A target directory outside the clone lets repeated CI runs on one machine
# reuse the build; the build still works from nothing.
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="$HOME/.cache/landfall/target"
fi
export CARGO_TERM_COLOR=never
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust from https://rustup.rs" >&2
  exit 2
fi

if [ "$QUICK" = false ]; then
  log "formatting"
  cargo fmt --all -- --check

  log "lints"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

log "tests"
cargo test --workspace --locked

if [ "$QUICK" = false ]; then
  log "the reference platform"
  cargo build --release --locked -p landfall
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/landfall"
  "$BIN" validate
  "$BIN" show --format json > /dev/null
fi

log "all checks passed"
