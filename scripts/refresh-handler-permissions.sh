#!/usr/bin/env bash
# Refreshes crates/deployability/data/handler-permissions.tsv.zz: the IAM
# actions each CloudFormation resource type's create, update and delete
# handlers need, from the resource provider schemas cfn-lint ships on PyPI.
#
#   scripts/refresh-handler-permissions.sh            # the cfn-lint of .venv
#   scripts/refresh-handler-permissions.sh 1.58.0     # a given cfn-lint version
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -n "${1:-}" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "cfn-lint==$1"
  (cd "$work" && python3 -m zipfile -e ./*.whl unpacked)
  pkg="$work/unpacked"
  version="$1"
else
  pkg="$(ls -d "$root"/.venv/lib/python3*/site-packages | head -1)"
  version="$("$root/.venv/bin/python" -c 'import cfnlint.version; print(cfnlint.version.__version__)')"
fi
python3 "$root/crates/deployability/data/refresh.py" "$pkg/cfnlint/data/schemas" \
  "$root/crates/deployability/data/handler-permissions.tsv.zz" "$version"
