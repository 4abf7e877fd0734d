#!/usr/bin/env python3
"""Files and rows per file when some events arrive late (issue 30, item 3).

Puts a steady stream of AlarmDecoder events into a kinesis-mock stream for a while, 5 % of them
stamped 2 to 48 hours in the past (a panel that was offline, a relay replaying its backlog),
while two consumers read the same stream into two lakes: one with late rows held per hour (the
default), one with `--late-after off` (every flush writes every hour it holds, as before). Both
run at once on the same records, so the counts compare like with like. Each consumer is stopped
with SIGTERM at the end (its last flush writes everything), and the files of each table's latest
Delta snapshot are counted from the log, split into on-time and late hours.

Usage: late_events.py ALARMLAKE_BINARY ENDPOINT [SECONDS] [RATE]
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import boto3

binary, endpoint = sys.argv[1], sys.argv[2]
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 90
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 100.0
LATE_SHARE = 0.05
SHARDS = 4

work = tempfile.mkdtemp(prefix="late-events-")
stream = f"late-{os.getpid()}"
env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
           AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
kinesis.create_stream(StreamName=stream, ShardCount=SHARDS)
while kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
    time.sleep(0.2)

# Events of 40 homes, in the generator's own order; their times are set when they are put.
generated = subprocess.run([binary, "generate", "--homes", "40", "--days", "3", "--seed", "5"],
                           check=True, capture_output=True, text=True).stdout.splitlines()
lines = [json.loads(l) for l in generated if '"time"' in l]

consumers = {}
for label, extra in (("held", []), ("off", ["--late-after", "off"])):
    lake = os.path.join(work, f"lake-{label}")
    log = open(os.path.join(work, f"{label}.log"), "w")
    consumers[label] = (lake, subprocess.Popen(
        [binary, "consume", "--stream", stream, "--endpoint-url", endpoint, "--lake", lake,
         "--app", f"late-{label}", "--max-age-secs", "5", *extra],
        stderr=log, env=env))

rng = random.Random(7)
put = late = 0
started = time.monotonic()
batch = []
while time.monotonic() - started < seconds:
    due = started + put / rate
    if due > time.monotonic():
        time.sleep(due - time.monotonic())
    event = dict(lines[put % len(lines)])
    now = datetime.now(timezone.utc)
    if rng.random() < LATE_SHARE:
        now -= timedelta(seconds=rng.uniform(2 * 3600, 48 * 3600))
        late += 1
    event["time"] = now.strftime("%Y-%m-%dT%H:%M:%S.%f")
    batch.append({"Data": json.dumps(event).encode(), "PartitionKey": f"home-{put % 40}"})
    put += 1
    if len(batch) >= max(1, int(rate / 10)):
        kinesis.put_records(StreamName=stream, Records=batch)
        batch = []
if batch:
    kinesis.put_records(StreamName=stream, Records=batch)
time.sleep(15)
for lake, process in consumers.values():
    process.send_signal(signal.SIGTERM)
for lake, process in consumers.values():
    process.wait(timeout=300)


def snapshot(table_log):
    """The live files of a table's log: path -> rows."""
    live = {}
    for name in sorted(os.listdir(table_log)):
        if not name.endswith(".json"):
            continue
        for line in open(os.path.join(table_log, name)):
            action = json.loads(line)
            if "add" in action:
                stats = json.loads(action["add"].get("stats") or "{}")
                live[action["add"]["path"]] = stats.get("numRecords", 0)
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return live


cutoff = datetime.fromtimestamp(time.time() - 2 * 3600, timezone.utc)
print(f"put {put} events in {seconds} s ({late} stamped 2 to 48 h late) into {SHARDS} shards; "
      f"flushes every 5 s")
print("| consumer | on-time files | rows per file | late-hour files | rows per file | late hours |")
print("|---|---:|---:|---:|---:|---:|")
for label, (lake, _) in consumers.items():
    files = {"on": [], "late": []}
    hours = set()
    log = os.path.join(lake, "alarm_events", "_delta_log")
    for path, rows in snapshot(log).items():
        part = dict(p.split("=", 1) for p in path.split("/")[:2])
        hour = datetime.strptime(f"{part['date']} {part['hour']}", "%Y-%m-%d %H").replace(tzinfo=timezone.utc)
        kind = "late" if hour + timedelta(hours=1) < cutoff else "on"
        files[kind].append(rows)
        if kind == "late":
            hours.add(hour)
    per = lambda xs: f"{sum(xs) / len(xs):.1f}" if xs else "-"
    name = "late rows held (default)" if label == "held" else "`--late-after off`"
    print(f"| {name} | {len(files['on'])} | {per(files['on'])} | {len(files['late'])} | "
          f"{per(files['late'])} | {len(hours)} |")
print(f"(work folder: {work})")
