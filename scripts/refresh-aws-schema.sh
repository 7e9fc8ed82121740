#!/usr/bin/env bash
# Refreshes crates/terraform/schema/aws.json: the hashicorp/aws provider
# schema (attributes, blocks, types) of the resource types Landfall emits,
# from the CDK Terrain prebuilt bindings on npm.
#
# usage: scripts/refresh-aws-schema.sh [VERSION]   (default: latest)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-latest}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@cdktn/provider-aws@${version}" >/dev/null && tar xzf ./*.tgz)
node "$root/crates/terraform/schema/extract.js" "$work/package" "$root/crates/terraform/schema/types.txt" \
  > "$root/crates/terraform/schema/aws.json"
echo "wrote crates/terraform/schema/aws.json (provider $(grep -o '"version": "[^"]*"' "$root/crates/terraform/schema/aws.json" | head -1))"
