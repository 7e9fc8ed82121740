"""Replays Alertmanager webhook payloads in place of the `ansible.eda`
collection's `alertmanager` source (which needs Ansible Galaxy to install):
each alert becomes the event that source puts on the queue, `{"alert":
..., "meta": ...}` (with `skip_original_data: true` and an empty
`data_host_path`, as the generated rulebook configures it).

The payloads: the JSON files listed, one per line, in the file that
`LANDFALL_REPLAY_ALERTMANAGER` names. Options other than the source's
documented ones are refused.
"""

import asyncio
import json
import os

OPTIONS = {"host", "port", "data_alerts_path", "data_host_path", "data_path_separator", "skip_original_data"}


async def main(queue, args):
    unknown = set(args) - OPTIONS
    if unknown:
        raise ValueError(f"not an option of ansible.eda.alertmanager: {sorted(unknown)}")
    assert args.get("skip_original_data") is True
    assert args.get("data_host_path") == ""
    with open(os.environ["LANDFALL_REPLAY_ALERTMANAGER"]) as listing:
        files = [line.strip() for line in listing if line.strip()]
    for path in files:
        with open(path) as f:
            payload = json.load(f)
        for alert in payload.get(args.get("data_alerts_path", "alerts"), []):
            await queue.put({"alert": alert, "meta": {"endpoint": "alertmanager", "headers": {}, "hosts": []}})
    # Stay up: the test stops the engine once it has seen the launches.
    await asyncio.Future()
