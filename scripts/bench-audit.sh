#!/usr/bin/env bash
# Audit benchmark against moto server: deploys a 40-account platform (2
# regions) into moto, audits it three times, and prints the wall time and
# the API calls per account-region (crates/live/examples/bench_audit.rs).
# Starts a moto server when none is running (and stops it after); the
# server it uses is reset.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
started=false
if [ -z "${LANDFALL_MOTO_ENDPOINT:-}" ]; then
  if ! { [ -f target/moto/port ] && curl -sf -o /dev/null "http://127.0.0.1:$(cat target/moto/port)/moto-api/"; }; then
    scripts/moto.sh start >/dev/null
    started=true
  fi
  LANDFALL_MOTO_ENDPOINT="http://127.0.0.1:$(cat target/moto/port)"
  export LANDFALL_MOTO_ENDPOINT
fi
if [ "$started" = true ]; then
  trap '"$ROOT/scripts/moto.sh" stop' EXIT
fi
cargo run --quiet -p landfall-live --example bench_audit "$@"
