#!/usr/bin/env bash
# `landfall synth` end to end on a large synthetic organization (the workload
# benchmark's 10,000 services): spec files read, every layer compiled, both
# forms written to disk.
#
#   scripts/bench-synth-large.sh [ACCOUNTS] [SERVICES]   # default 2000 10000
#
# Times a first run into an empty directory and a second run over it (every
# file unchanged, so nothing is rewritten), with peak memory from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS=${1:-2000}
SERVICES=${2:-10000}
cargo build --release -q -p landfall -p landfall-testkit --examples --bins
BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/release"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN/examples/write-spec" "$WORK/spec" "$ACCOUNTS" "$SERVICES"
run() { "$BIN/landfall" synth --spec "$WORK/spec" --out "$WORK/out" --format json > "$WORK/report.json"; }
for pass in "into an empty directory" "over unchanged output"; do
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/rss" bash -c "$(declare -f run); BIN='$BIN' WORK='$WORK' run"
    end=$(date +%s.%N)
    printf '%-24s %6.2f s, peak memory %d MB\n' "$pass:" "$(echo "$end - $start" | bc)" "$(( $(cat "$WORK/rss") / 1024 ))"
done
python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['stacks']} stacks, {r['stack_sets']} StackSets, {r['resources']} resources")
PY
du -sh "$WORK/out" | awk '{print "output: " $1}'
