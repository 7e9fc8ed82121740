#!/usr/bin/env bash
# Starts or stops a moto server (local AWS API emulator) on a loopback port,
# for the live-operation tests.
#
#   scripts/moto.sh start   # prints the endpoint; writes the port to $MOTO_STATE/port
#   scripts/moto.sh stop
#
# With MOTO_AUTH_FREE_REQUESTS=N, moto enforces IAM after the first N requests
# (its INITIAL_NO_AUTH_ACTION_COUNT): every request must then be signed by a
# known access key and allowed by the caller's identity policies. A running
# server switches with `POST /moto-api/reset-auth` (body: N, or `inf` for off),
# which is what crates/live/tests/faults.rs does.
#
# moto comes from .venv (scripts/test.sh installs scripts/requirements-test.txt
# there), or from MOTO_SERVER. State lives in MOTO_STATE (default target/moto).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${MOTO_STATE:-$ROOT/target/moto}
SERVER=${MOTO_SERVER:-$ROOT/.venv/bin/moto_server}

start() {
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    echo "http://127.0.0.1:$(cat "$STATE/port")"
    return 0
  fi
  if [ ! -x "$SERVER" ]; then
    echo "moto server not found at $SERVER: run scripts/test.sh (it installs scripts/requirements-test.txt into .venv) or set MOTO_SERVER" >&2
    exit 2
  fi
  mkdir -p "$STATE"
  local port=${MOTO_PORT:-}
  if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  fi
  if [ -n "${MOTO_AUTH_FREE_REQUESTS:-}" ]; then
    export INITIAL_NO_AUTH_ACTION_COUNT="$MOTO_AUTH_FREE_REQUESTS"
  fi
  "$SERVER" -H 127.0.0.1 -p "$port" >"$STATE/server.log" 2>&1 &
  echo $! >"$STATE/pid"
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/"; then
      echo "$port" >"$STATE/port"
      echo "http://127.0.0.1:$port"
      return 0
    fi
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      echo "moto server exited; its log:" >&2
      cat "$STATE/server.log" >&2
      exit 2
    fi
    sleep 0.2
  done
  echo "moto server did not answer on port $port within 20 s" >&2
  stop
  exit 2
}

stop() {
  if [ -f "$STATE/pid" ]; then
    kill "$(cat "$STATE/pid")" 2>/dev/null || true
    rm -f "$STATE/pid" "$STATE/port"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/moto.sh start|stop" >&2; exit 2 ;;
esac
