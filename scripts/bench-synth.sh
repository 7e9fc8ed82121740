#!/usr/bin/env bash
# Synthesis speed beside cfn-lint's, in one run:
#   1. criterion benchmarks of `landfall-synth` (reference platform, and
#      synthetic orgs of 500, 1,000 and 2,000 accounts), model to written files;
#   2. the release binary's `landfall synth` on the reference, end to end;
#   3. cfn-lint over that same output, in one batched call.
#
#   scripts/bench-synth.sh            # everything
#   scripts/bench-synth.sh --quick    # skip criterion (steps 2 and 3 only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "${1:-}" != "--quick" ]; then
  cargo bench -p landfall-synth --bench synth
fi

cargo build --release -p landfall >/dev/null 2>&1 || cargo build --release -p landfall
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/landfall"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

ms() { python3 -c 'import sys,time; print(int(time.time()*1000))'; }

start=$(ms)
"$BIN" synth --out "$OUT" 2>"$OUT/summary.txt"
synth_ms=$(( $(ms) - start ))
cat "$OUT/summary.txt" >&2

LINT=${CFN_LINT:-}
if [ -z "$LINT" ] && [ -x "$ROOT/.venv/bin/cfn-lint" ]; then LINT="$ROOT/.venv/bin/cfn-lint"; fi
if [ -z "$LINT" ] && command -v cfn-lint >/dev/null 2>&1; then LINT=cfn-lint; fi
if [ -z "$LINT" ]; then
  echo "landfall synth (reference, end to end): ${synth_ms} ms; cfn-lint not installed" >&2
  exit 0
fi
templates=$(find "$OUT/templates" -name '*.json' | sort)
count=$(echo "$templates" | wc -l)
start=$(ms)
# shellcheck disable=SC2086
"$LINT" --config-file "$ROOT/.cfnlintrc" -- $templates
lint_ms=$(( $(ms) - start ))
echo "landfall synth (reference, end to end, release): ${synth_ms} ms" >&2
echo "cfn-lint over the same ${count} templates (one call): ${lint_ms} ms" >&2
