#!/usr/bin/env python3
"""Test helper: DuckDB as a second engine over a lake, and S3 chores against moto.

    lake_check.py counts LAKE_DIR           -> JSON: rows per table and partition, sample values
    lake_check.py compare-report LAKE_DIR SQL_FILE NDJSON_FILE
                                            -> runs SQL in DuckDB over the lake and compares
                                               its rows with alarmlake's (exit 1 on a difference)
    lake_check.py create-bucket ENDPOINT BUCKET
    lake_check.py download ENDPOINT BUCKET PREFIX DEST_DIR
    lake_check.py put ENDPOINT BUCKET KEY TEXT
    lake_check.py keys ENDPOINT BUCKET PREFIX  -> the keys under PREFIX, relative to it

DuckDB reads each table through its Delta log (the delta extension, installed offline from the
duckdb-ext-delta package), so it sees exactly the files of the latest snapshot; a table folder
without a log is read by globbing its Parquet files. DuckDB cannot read S3 here (its httpfs
extension is downloaded at run time, and tests reach only 127.0.0.1), so S3 lakes are
downloaded with boto3 first and read from a folder.
"""
import glob
import json
import os
import sys


def connect():
    """A DuckDB connection with the delta extension loaded from the installed package."""
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute("SET threads=2")
    root = os.path.dirname(os.path.dirname(duckdb.__file__))
    found = glob.glob(os.path.join(root, "duckdb_ext", "extensions", "*", "*", "delta.duckdb_extension"))
    if not found:
        sys.exit("the delta extension is not installed (pip install duckdb-ext-delta)")
    con.execute(f"LOAD '{found[0]}'")
    return con


def source(lake, table):
    """How DuckDB reads a table: its Delta snapshot, or its Parquet files without a log."""
    folder = os.path.join(lake, table)
    if os.path.isdir(os.path.join(folder, "_delta_log")):
        return f"delta_scan('{folder}')"
    return (
        f"read_parquet('{folder}/**/*.parquet', hive_partitioning=true, "
        "hive_types={'date': DATE, 'hour': INTEGER})"
    )


def counts(lake):
    con = connect()
    result = {"counts": {}, "samples": {}}
    for table in sorted(os.listdir(lake)):
        if table.startswith("_") or not os.path.isdir(os.path.join(lake, table)):
            continue
        source = globals()["source"](lake, table)
        rows = con.execute(
            f"SELECT CAST(date AS VARCHAR), CAST(hour AS INTEGER), count(*) FROM {source} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        result["counts"][table] = {f"date={d}/hour={h:02d}": n for d, h, n in rows}
        if table == "alarm_events":
            armed_away, sites, beeps, disarms, rf = con.execute(
                f"""SELECT count(*) FILTER (WHERE armed_away), count(DISTINCT site), coalesce(sum(beeps), 0),
                           count(*) FILTER (WHERE event_code = '0x401' AND event_status = 1),
                           count(*) FILTER (WHERE message_type = 'rf')
                    FROM {source}"""
            ).fetchone()
            result["samples"]["alarm_events"] = {
                "armed_away": armed_away, "sites": sites, "beeps": int(beeps), "disarms": disarms, "rf": rf
            }
        elif table == "mode_events":
            heartbeats, = con.execute(f"SELECT count(*) FILTER (WHERE event_type = 'heartbeat') FROM {source}").fetchone()
            result["samples"]["mode_events"] = {"heartbeats": heartbeats}
        elif table == "camera_media":
            clips, size = con.execute(f"SELECT count(*), sum(size) FROM {source}").fetchone()
            result["samples"]["camera_media"] = {"clips": clips, "size": int(size)}
    print(json.dumps(result, sort_keys=True))


def normalize(value):
    """One comparable form for values from either engine: instants as epoch microseconds,
    numbers as rounded floats, dates as ISO text."""
    import datetime
    import decimal
    import re

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 6)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (value - epoch) // datetime.timedelta(microseconds=1)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        return normalize(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return value


def compare_report(lake, sql_file, ndjson_file):
    con = connect()
    con.execute("SET TimeZone='UTC'")
    for table in sorted(os.listdir(lake)):
        if os.path.isdir(os.path.join(lake, table)) and not table.startswith("_"):
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM {source(lake, table)}")
    with open(sql_file) as f:
        cursor = con.execute(f.read())
    columns = [d[0] for d in cursor.description]
    expected = [[normalize(v) for v in row] for row in cursor.fetchall()]
    with open(ndjson_file) as f:
        got = [[normalize(json.loads(line).get(c)) for c in columns] for line in f if line.strip()]
    if got != expected:
        for i, (a, b) in enumerate(zip(got, expected)):
            if a != b:
                sys.exit(f"row {i} differs: alarmlake {a} vs DuckDB {b} (columns {columns})")
        sys.exit(f"alarmlake has {len(got)} rows, DuckDB {len(expected)}")
    print(f"{len(got)} rows identical")


def s3(endpoint):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def create_bucket(endpoint, bucket):
    s3(endpoint).create_bucket(Bucket=bucket)


def download(endpoint, bucket, prefix, dest):
    import botocore.exceptions

    client = s3(endpoint)
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            relative = key[len(prefix):].lstrip("/")
            target = os.path.join(dest, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                client.download_file(bucket, key, target)
            except botocore.exceptions.ClientError as error:
                # A running consumer deletes objects (settled intents, vacuumed files) between
                # the listing and the get: such a key is gone, not an error. Anything else is.
                if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                    raise


def put(endpoint, bucket, key, text):
    s3(endpoint).put_object(Bucket=bucket, Key=key, Body=text.encode())


def keys(endpoint, bucket, prefix):
    """Prints the keys under prefix, relative to it, one per line."""
    paginator = s3(endpoint).get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            print(item["Key"][len(prefix):].lstrip("/"))


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "counts":
        counts(*args)
    elif command == "compare-report":
        compare_report(*args)
    elif command == "create-bucket":
        create_bucket(*args)
    elif command == "download":
        download(*args)
    elif command == "put":
        put(*args)
    elif command == "keys":
        keys(*args)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
