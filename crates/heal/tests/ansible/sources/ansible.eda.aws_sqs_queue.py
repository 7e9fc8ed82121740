"""Replays EventBridge events in place of the `ansible.eda` collection's
`aws_sqs_queue` source: each becomes the event that source puts on the
queue, `{"body": <the message body, parsed>, "meta": {"MessageId": ...}}`.

The events: the JSON files listed, one per line, in the file that
`LANDFALL_REPLAY_SQS` names, replayed by the source of the region
`LANDFALL_REPLAY_SQS_REGION` names (every source when unset). Options other than the source's documented
ones are refused; `name` is required, as by the source.
"""

import asyncio
import json
import os

OPTIONS = {"access_key", "secret_key", "session_token", "endpoint_url", "region", "name", "delay_seconds"}


async def main(queue, args):
    unknown = set(args) - OPTIONS
    if unknown:
        raise ValueError(f"not an option of ansible.eda.aws_sqs_queue: {sorted(unknown)}")
    if "name" not in args:
        raise ValueError("Missing queue name")
    # Only the source of this region replays (one per alert path's queue).
    region = os.environ.get("LANDFALL_REPLAY_SQS_REGION")
    if region and args.get("region") != region:
        await asyncio.Future()
    with open(os.environ["LANDFALL_REPLAY_SQS"]) as listing:
        files = [line.strip() for line in listing if line.strip()]
    for n, path in enumerate(files):
        with open(path) as f:
            body = json.load(f)
        await queue.put({"body": body, "meta": {"MessageId": f"replayed-{n}"}})
    # Stay up: the test stops the engine once it has seen the launches.
    await asyncio.Future()
