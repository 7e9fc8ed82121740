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

# Each step is headed with the seconds since the start, so a slow step shows.
START=$SECONDS
log() { printf '\n== [%4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }

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

# A pinned Python tool set in a virtual environment of its own.
#   venv_tools DIR REQUIREMENTS WHAT
venv_tools() {
  local venv="$ROOT/$1" requirements="$ROOT/scripts/$2" stamp="$ROOT/$1/.requirements"
  if [ ! -x "$venv/bin/pip" ]; then
    python3 -m venv "$venv"
  fi
  if ! cmp -s "$requirements" "$stamp"; then
    log "installing $3 into $1"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}

# Python validators (cfn-lint, checkov, moto, ...) in .venv, first on PATH.
# panther-analysis-tool in .venv-panther: its pins (boto3 1.42, jsonschema
# 4.25, pydantic 2.12) would replace the versions cfn-lint, checkov and moto
# run with; its directory goes last on PATH, so `python3` and `pip` stay
# .venv's. The FinOps Foundation's FOCUS validator in .venv-focus (it pins
# NumPy < 2 and pandas < 3), not on PATH: its test
# (crates/cost/tests/focus_validator.rs) runs .venv-focus/bin/focus-validator.
# ansible-rulebook (Event-Driven Ansible) in .venv-eda, not on PATH either:
# crates/heal/tests/ansible_rulebook.rs runs the generated rulebooks with it.
python_tools() {
  if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is needed for the external validators" >&2
    exit 2
  fi
  venv_tools .venv requirements-test.txt "validators (cfn-lint, checkov, moto)" &
  local validators=$!
  venv_tools .venv-panther requirements-panther.txt panther-analysis-tool &
  local panther=$!
  venv_tools .venv-focus requirements-focus.txt focus-validator &
  local focus=$!
  venv_tools .venv-eda requirements-eda.txt ansible-rulebook &
  local eda=$!
  wait "$validators" && wait "$panther" && wait "$focus" && wait "$eda"
}

# The monitoring tools the generated configuration is checked and run with
# (promtool, amtool, Alertmanager, VictoriaMetrics, vmalert), and the browser
# the HTML cost report is rendered in (chromium), and the Java runtime
# ansible-rulebook's rule engine runs in, from Debian.
debian_tools() {
  local missing=false
  for tool in promtool amtool prometheus-alertmanager victoria-metrics vmalert php chromium java; do
    command -v "$tool" >/dev/null 2>&1 || missing=true
  done
  # Zabbix 6.0's frontend and schema with a private PostgreSQL 15, for the
  # import test of the generated Zabbix configuration.
  for file in /usr/share/zabbix/api_jsonrpc.php /usr/share/zabbix-server-pgsql/schema.sql.gz \
      /usr/lib/postgresql/15/bin/initdb; do
    [ -e "$file" ] || missing=true
  done
  php -m 2>/dev/null | grep -q pgsql || missing=true
  [ "$missing" = false ] && return 0
  log "installing monitoring tools (prometheus, prometheus-alertmanager, victoria-metrics, zabbix 6.0 with postgresql) and chromium"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get is needed to install the monitoring tools" >&2
    [ "${CI:-}" = "true" ] && exit 2
    return 0
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-alertmanager victoria-metrics \
    zabbix-server-pgsql zabbix-frontend-php postgresql \
    php8.2-cli php8.2-pgsql php8.2-bcmath php8.2-gd php8.2-mbstring php8.2-xml chromium \
    openjdk-17-jre-headless >/dev/null
}

# Grafana's published schema types and TypeScript, pinned in
# scripts/grafana-schema/package-lock.json, installed there (never globally).
node_tools() {
  local dir="$ROOT/scripts/grafana-schema" stamp="$ROOT/scripts/grafana-schema/node_modules/.lock-stamp"
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed for the dashboard schema check" >&2
    [ "${CI:-}" = "true" ] && exit 2
    return 0
  fi
  if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "installing @grafana/schema and typescript into scripts/grafana-schema"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
    cp "$dir/package-lock.json" "$stamp"
  fi
  # An independent IAM evaluator for the engine's differential test
  # (crates/iam/tests/differential.rs), pinned in scripts/iam-simulate.
  dir="$ROOT/scripts/iam-simulate" stamp="$ROOT/scripts/iam-simulate/node_modules/.lock-stamp"
  if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "installing @cloud-copilot/iam-simulate into scripts/iam-simulate"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

if [ "$QUICK" = false ]; then
  log "formatting"
  cargo fmt --all -- --check

  # On a fresh machine the build and the installs each take minutes; the
  # build wants the CPUs and the installs mostly wait on the network, so they
  # run side by side. Each side's output is shown when it ends.
  log "lints and the test build, while the tools install"
  if ! command -v clippy-driver >/dev/null 2>&1; then
    echo "clippy is needed: rustup component add clippy" >&2
    exit 2
  fi
  export RUSTC_WORKSPACE_WRAPPER=clippy-driver RUSTFLAGS="${RUSTFLAGS:-} -Dwarnings"
  BUILD_LOG=$(mktemp) INSTALL_LOG=$(mktemp)
  (
    # Clippy lints our crates while they are built for the tests (Clippy's
    # driver as the workspace's compiler, warnings denied), so the
    # dependencies (the AWS SDK above all) are compiled once, not also
    # checked apart.
    cargo test --workspace --all-targets --locked --no-run
    # The README's fast core loop builds the CLI without the AWS SDK.
    cargo clippy -p landfall --no-default-features --all-targets --locked -- -D warnings
  ) > "$BUILD_LOG" 2>&1 &
  BUILD=$!
  (
    set -e
    python_tools &
    python=$!
    debian_tools &
    debian=$!
    node_tools
    wait "$python" && wait "$debian"
  ) > "$INSTALL_LOG" 2>&1 &
  INSTALL=$!
  installed=0 built=0
  wait "$INSTALL" || installed=$?
  cat "$INSTALL_LOG" >&2
  log "tools installed (exit $installed)"
  wait "$BUILD" || built=$?
  cat "$BUILD_LOG" >&2
  log "built (exit $built)"
  rm -f "$BUILD_LOG" "$INSTALL_LOG"
  [ "$installed" -eq 0 ] || exit "$installed"
  [ "$built" -eq 0 ] || exit "$built"
  export PATH="$ROOT/.venv/bin:$PATH:$ROOT/.venv-panther/bin"
fi

# moto server (local AWS API emulator) for the live-operation tests
# (crates/live/tests/emulator.rs); stopped on exit.
if [ "$QUICK" = false ] || [ -x "$ROOT/.venv/bin/moto_server" ]; then
  log "moto server"
  LANDFALL_MOTO_ENDPOINT=$("$ROOT/scripts/moto.sh" start)
  export LANDFALL_MOTO_ENDPOINT
  trap '"$ROOT/scripts/moto.sh" stop' EXIT
fi

log "tests"
cargo test --workspace --locked

if [ "$QUICK" = false ]; then
  # The main job end to end on the built-in reference platform, with the
  # binary the tests just built: every command must succeed on it.
  log "the reference platform"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/landfall"
  OUT=$(mktemp -d)
  "$BIN" validate
  "$BIN" show --format json > /dev/null
  "$BIN" net > /dev/null
  "$BIN" iam prove
  "$BIN" check
  "$BIN" synth --out "$OUT"
  rm -rf "$OUT"
fi

log "all checks passed"
