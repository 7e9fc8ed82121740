#!/usr/bin/env bash
# Landfall against checkov on the same corpus, in the same run.
#
#   scripts/bench-vs-checkov.sh [TEMPLATES]   # default 500
#
# Generates TEMPLATES CloudFormation templates (scripted variations of the
# rule fixtures: renamed resources, other sizes, CIDRs and instance types)
# into a temporary directory, times `landfall check` (hyperfine when
# installed, else `date +%s.%N`) and checkov (`--framework cloudformation
# --skip-download`, one run: it takes minutes) on it, and prints Landfall's
# throughput and the speed-up. checkov comes from .venv (see
# scripts/compare-checkov.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
COUNT=${1:-500}
CHECKOV=${CHECKOV:-$ROOT/.venv/bin/checkov}
[ -x "$CHECKOV" ] || { echo "checkov not found at $CHECKOV: python3 -m venv .venv && .venv/bin/pip install checkov" >&2; exit 2; }

cargo build --release -q -p landfall
LANDFALL="${CARGO_TARGET_DIR:-$ROOT/target}/release/landfall"

CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT
python3 - "$ROOT/crates/rules/tests/fixtures/cloudformation" "$CORPUS" "$COUNT" <<'PY'
import pathlib, re, sys
source, out, count = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
fixtures = sorted(p for p in source.iterdir() if p.suffix in (".yaml", ".json"))
types = ["m7i.large", "t3.large", "c7g.xlarge", "t4g.small", "r7i.2xlarge"]
for i in range(count):
    fixture = fixtures[i % len(fixtures)]
    text = fixture.read_text()
    # Variations: another size, CIDR and instance type; names stay valid.
    text = re.sub(r"Size: (\d+)", lambda m: f"Size: {int(m.group(1)) + i % 50}", text)
    text = re.sub(r"10\.(\d+)\.0\.0/16", lambda m: f"10.{(int(m.group(1)) + i) % 250}.0.0/16", text)
    text = text.replace("m7i.large", types[i % len(types)])
    (out / f"{i:05d}-{fixture.stem}{fixture.suffix}").write_text(text)
PY
echo "corpus: $COUNT templates in $CORPUS" >&2

SUMMARY=$("$LANDFALL" check "$CORPUS" --fail-on never 2>&1 >/dev/null | tail -1)
RESOURCES=$(echo "$SUMMARY" | sed -E 's/.* with ([0-9]+) resources.*/\1/')
echo "landfall: $SUMMARY" >&2

now() { date +%s.%N; }
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 2 --runs 10 --export-json "$CORPUS/landfall.json" \
    "$LANDFALL check $CORPUS --fail-on never --format json" >&2
  LANDFALL_S=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$CORPUS/landfall.json")
else
  start=$(now); for _ in 1 2 3 4 5; do "$LANDFALL" check "$CORPUS" --fail-on never --format json >/dev/null; done; end=$(now)
  LANDFALL_S=$(python3 -c "print(($end - $start) / 5)")
fi

start=$(now)
"$CHECKOV" -d "$CORPUS" --framework cloudformation --skip-download -o json --quiet >/dev/null 2>&1 || true
end=$(now)
CHECKOV_S=$(python3 -c "print($end - $start)")

python3 - "$COUNT" "$RESOURCES" "$LANDFALL_S" "$CHECKOV_S" <<'PY'
import sys
templates, resources, landfall, checkov = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"templates:  {templates} ({resources} resources)")
print(f"landfall:   {landfall * 1000:.1f} ms  ({templates / landfall:,.0f} templates/s, {resources / landfall:,.0f} resources/s)")
print(f"checkov:    {checkov:.2f} s  ({templates / checkov:,.1f} templates/s)")
print(f"speed-up:   {checkov / landfall:,.0f}x (target: at least 50x)")
PY
