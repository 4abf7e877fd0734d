#!/usr/bin/env python3
"""The CPU it takes just to receive a stream's GetRecords answers, with nothing else done.

Usage: benches/transport_floor.py ENDPOINT STREAM

*Why:* benchmark P3 counts the consumer's CPU per million records, and part of that is the
price of the wire format before any of alarmlake's code runs: the kernel's TCP receive and the
copying of about a kilobyte of JSON and base64 per record. `curl` is the leanest reader at hand,
so its CPU for the same answers is the floor under any consumer of this emulator.
`benches/consumer.sh` prints it next to P3 and the bare GetRecords loop.

How: the shard iterators are fetched here (not counted); one `curl` process then makes one
GetRecords call (Limit 10000) per shard and drops the answers (`/dev/null`, so no file writes
are counted); its CPU (getrusage of the child, to the microsecond) minus that of a `curl`
making one tiny request (its start-up, the median of five) is the receive cost. The same calls
are then made again, uncounted, into files, to count the records and bytes received.

Prints one line: `<cpu seconds> <records> <bytes>`. Only 127.0.0.1 endpoints are accepted.
kinesis-mock does not check signatures, so the requests carry a fixed, unsigned header.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

HEADERS = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Date": "20260101T000000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def call(endpoint, action, body):
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(body).encode(),
        headers={**HEADERS, "X-Amz-Target": f"Kinesis_20131202.{action}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def shard_ids(endpoint, stream):
    ids, token = [], None
    while True:
        body = {"NextToken": token} if token else {"StreamName": stream}
        page = call(endpoint, "ListShards", body)
        ids += [shard["ShardId"] for shard in page["Shards"]]
        token = page.get("NextToken")
        if not token:
            return ids


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def curl_cpu(config):
    """CPU seconds of one `curl -K config` run."""
    before = children_cpu()
    subprocess.run(["curl", "-s", "-K", config], check=True, stdout=subprocess.DEVNULL)
    return children_cpu() - before


def curl_config(endpoint, target, requests):
    """A curl config making one POST per (body file, output file) in `requests`."""
    blocks = []
    for body, output in requests:
        lines = [f'url = "{endpoint}"', f'output = "{output}"', f'data = "@{body}"']
        lines += [f'header = "{k}: {v}"' for k, v in HEADERS.items()]
        lines.append(f'header = "X-Amz-Target: Kinesis_20131202.{target}"')
        blocks.append("\n".join(lines))
    return "\nnext\n".join(blocks) + "\n"


def main():
    endpoint, stream = sys.argv[1], sys.argv[2]
    if urllib.parse.urlparse(endpoint).hostname != "127.0.0.1":
        sys.exit(f"transport_floor: {endpoint} is not on 127.0.0.1")
    with tempfile.TemporaryDirectory() as work:

        def written(name, text):
            path = os.path.join(work, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        requests = []
        for n, shard in enumerate(shard_ids(endpoint, stream)):
            iterator = call(
                endpoint,
                "GetShardIterator",
                {"StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"},
            )["ShardIterator"]
            body = written(f"request-{n}.json", json.dumps({"ShardIterator": iterator, "Limit": 10000}))
            requests.append((body, os.path.join(work, f"answer-{n}.json")))
        dropped = [(body, os.devnull) for body, _ in requests]
        config = written("records.curl", curl_config(endpoint, "GetRecords", dropped))
        kept = written("records-kept.curl", curl_config(endpoint, "GetRecords", requests))
        tiny_body = written("tiny.json", json.dumps({"StreamName": stream, "Limit": 1}))
        tiny = written("tiny.curl", curl_config(endpoint, "ListShards", [(tiny_body, os.devnull)]))
        reading = curl_cpu(config)
        start_up = statistics.median(curl_cpu(tiny) for _ in range(5))
        curl_cpu(kept)
        records = size = 0
        for _, output in requests:
            size += os.path.getsize(output)
            with open(output) as f:
                records += len(json.load(f).get("Records", []))
    print(f"{max(reading - start_up, 0.0):.6f} {records} {size}")

if __name__ == "__main__":
    main()
