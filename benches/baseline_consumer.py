"""The consumer a user might write today, as the benchmark's baseline: a boto3 GetRecords loop
over every shard from the start of the stream, `json.loads` of each record, and the rows written
as zstd Parquet with pyarrow, one file per shard per 10,000 rows. No checkpoints, no dead
letters, no exactly-once: it does less than alarmlake, and is measured for its CPU per record.

Usage: baseline_consumer.py ENDPOINT STREAM OUT_DIR RECORDS
ENDPOINT `aws` uses boto3's own endpoint, region and credentials; an emulator's URL uses its
fixed test credentials.
Reads until RECORDS records are read (or the shards are exhausted), then prints one JSON line:
{"records": N, "loop_cpu_seconds": S, "wall_seconds": W, "undecodable": U}.
"""
import json
import os
import sys
import time

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

ROWS_PER_FILE = 10_000


def main(endpoint, stream, out_dir, expected):
    expected = int(expected)
    os.makedirs(out_dir, exist_ok=True)
    if endpoint == "aws":
        client = boto3.client("kinesis")
    else:
        client = boto3.client(
            "kinesis",
            endpoint_url=endpoint,
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        )
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    shards = client.list_shards(StreamName=stream)["Shards"]
    iterators = {
        s["ShardId"]: client.get_shard_iterator(
            StreamName=stream, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for s in shards
    }
    rows = {shard: [] for shard in iterators}
    files = {shard: 0 for shard in iterators}
    read = undecodable = 0
    idle_rounds = 0

    def flush(shard):
        if rows[shard]:
            table = pa.Table.from_pylist(rows[shard])
            pq.write_table(table, os.path.join(out_dir, f"{shard}-{files[shard]:05d}.parquet"), compression="zstd")
            files[shard] += 1
            rows[shard] = []

    while read < expected and iterators and idle_rounds < 50:
        progressed = False
        for shard in list(iterators):
            answer = client.get_records(ShardIterator=iterators[shard], Limit=10000)
            for record in answer["Records"]:
                read += 1
                progressed = True
                try:
                    event = json.loads(record["Data"])
                except ValueError:
                    undecodable += 1
                    continue
                rows[shard].append({
                    "shard_id": shard,
                    "sequence_number": record["SequenceNumber"],
                    "partition_key": record["PartitionKey"],
                    "arrival_time": record["ApproximateArrivalTimestamp"],
                    "site": str(event.get("site", event.get("homeId", ""))),
                    "body": json.dumps(event),
                })
                if len(rows[shard]) >= ROWS_PER_FILE:
                    flush(shard)
            next_iterator = answer.get("NextShardIterator")
            if next_iterator:
                iterators[shard] = next_iterator
            else:
                del iterators[shard]
        idle_rounds = 0 if progressed else idle_rounds + 1
        if not progressed:
            time.sleep(0.2)
    for shard in rows:
        flush(shard)
    print(json.dumps({
        "records": read,
        "loop_cpu_seconds": time.process_time() - cpu_start,
        "wall_seconds": time.perf_counter() - wall_start,
        "undecodable": undecodable,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:5])
