#!/usr/bin/env python3
"""Rebuilds crates/deployability/data/handler-permissions.tsv.zz from the
CloudFormation resource provider schemas that cfn-lint ships (PyPI package
`cfn-lint`, MIT-0 licence; `cfnlint/data/schemas/resources/*.json`).

Usage: refresh.py SCHEMAS_DIR OUTPUT

Output format (UTF-8, tab separated, then zlib-compressed), one record a line,
sorted by type:

    #landfall-handler-permissions	1	cfn-lint@<version>	<schema date>
    <resource type>	<create actions>	<update actions>	<delete actions>

Actions are comma separated, sorted and deduplicated; `-` when the schema has
no such handler (an immutable type has no update handler).
"""
import glob
import json
import os
import sys
import zlib

schemas, out = sys.argv[1], sys.argv[2]
version = sys.argv[3] if len(sys.argv) > 3 else "unknown"
date = ""
try:
    date = json.load(open(os.path.join(schemas, "version.json"))).get("schema_date", "")
except OSError:
    pass

types = {}
for path in glob.glob(os.path.join(schemas, "resources", "*.json")):
    schema = json.load(open(path))
    name = schema.get("typeName")
    if not name:
        continue
    handlers = schema.get("handlers", {})
    row = []
    for handler in ("create", "update", "delete"):
        if handler in handlers:
            actions = sorted({a.strip() for a in handlers[handler].get("permissions", []) if a.strip()})
            row.append(",".join(actions) if actions else "")
        else:
            row.append("-")
    types[name] = row

lines = [f"#landfall-handler-permissions\t1\tcfn-lint@{version}\t{date}"]
for name in sorted(types):
    lines.append("\t".join([name] + types[name]))
text = ("\n".join(lines) + "\n").encode("utf-8")
with open(out, "wb") as f:
    f.write(zlib.compress(text, 9))
print(f"{len(types)} resource types; {len(text)} bytes, {os.path.getsize(out)} compressed", file=sys.stderr)
