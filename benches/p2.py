"""Benchmark P2, one lake: the six canonical queries in `alarmlake sql` and in DuckDB over the
very same Parquet files, both with two threads, three runs each (the median counts). Checks
that both engines give identical answers, and prints a Markdown table.

Usage: p2.py LAKE ALARMLAKE_BINARY QUERY_DIR WORK_DIR
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from lake_check import normalize  # noqa: E402

RUNS = 3


def partitions(lake):
    """The (date, hour) partitions of alarm_events, sorted."""
    found = []
    root = os.path.join(lake, "alarm_events")
    for d in os.listdir(root):
        m = re.fullmatch(r"date=(\d{4}-\d\d-\d\d)", d)
        if not m:
            continue
        for h in os.listdir(os.path.join(root, d)):
            mh = re.fullmatch(r"hour=(\d+)", h)
            if mh:
                found.append((m.group(1), int(mh.group(1))))
    return sorted(found)


def queries(query_dir, lake):
    parts = partitions(lake)
    first = date.fromisoformat(parts[0][0])
    day, hour = parts[len(parts) // 2]
    values = {
        "week_start": first.isoformat(),
        "week_end": (first + timedelta(days=6)).isoformat(),
        "day": day,
        "hour": str(hour),
    }
    result = []
    for name in sorted(os.listdir(query_dir)):
        if name.endswith(".sql"):
            with open(os.path.join(query_dir, name)) as f:
                sql = f.read()
            for key, value in values.items():
                sql = sql.replace("{{" + key + "}}", value)
            result.append((name[:-4], sql.strip()))
    return result, len(parts)


def run_alarmlake(binary, lake, qs, work):
    """Median seconds per query (as `alarmlake sql` reports them) and the answers."""
    script = os.path.join(work, "p2-all.sql")
    with open(script, "w") as f:
        for _ in range(RUNS):
            for _, sql in qs:
                f.write(sql.rstrip(";") + ";\n")
    started = time.perf_counter()
    done = subprocess.run(
        [binary, "sql", "--lake", lake, "-f", script, "--format", "csv", "--output", os.devnull],
        capture_output=True, text=True, check=True,
    )
    process_seconds = time.perf_counter() - started
    times = [float(m) for m in re.findall(r"rows in ([0-9.]+) s", done.stderr)]
    assert len(times) == RUNS * len(qs), done.stderr
    medians = [statistics.median(times[i::len(qs)]) for i in range(len(qs))]
    answers = []
    for name, sql in qs:
        out = os.path.join(work, f"{name}.ndjson")
        query_file = os.path.join(work, f"{name}.sql")
        with open(query_file, "w") as f:
            f.write(sql)
        subprocess.run(
            [binary, "sql", "--lake", lake, "-f", query_file, "--format", "ndjson", "--output", out],
            capture_output=True, check=True,
        )
        with open(out) as f:
            answers.append([json.loads(line) for line in f if line.strip()])
    return medians, answers, process_seconds


def run_duckdb(lake, qs):
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("SET TimeZone='UTC'")
    for table in sorted(os.listdir(lake)):
        if os.path.isdir(os.path.join(lake, table)) and not table.startswith((".", "_")):
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/**/*.parquet', "
                "hive_partitioning=true, hive_types={'date': DATE, 'hour': INTEGER})"
            )
    times = [[] for _ in qs]
    answers = []
    for run in range(RUNS):
        for i, (_, sql) in enumerate(qs):
            t = time.perf_counter()
            cursor = con.execute(sql)
            rows = cursor.fetchall()
            times[i].append(time.perf_counter() - t)
            if run == 0:
                columns = [d[0] for d in cursor.description]
                answers.append((columns, rows))
    return [statistics.median(t) for t in times], answers, time.perf_counter() - started, duckdb.__version__


def main(lake, binary, query_dir, work):
    os.makedirs(work, exist_ok=True)
    qs, n_partitions = queries(query_dir, lake)
    a_times, a_answers, a_process = run_alarmlake(binary, lake, qs, work)
    d_times, d_answers, d_process, version = run_duckdb(lake, qs)
    files = sum(len(fs) for _, _, fs in os.walk(lake) if any(f.endswith(".parquet") for f in fs))
    print(f"Lake `{lake}`: {n_partitions:,} alarm_events hour partitions, {files:,} Parquet files; "
          f"DuckDB {version}, both engines with 2 threads, median of {RUNS} runs.")
    print()
    print("| query | rows | alarmlake s | DuckDB s | alarmlake / DuckDB | same answer |")
    print("|---|---:|---:|---:|---:|---|")
    all_same = True
    for (name, _), a, d, got, (columns, expected) in zip(qs, a_times, d_times, a_answers, d_answers):
        exp = [[normalize(v) for v in row] for row in expected]
        mine = [[normalize(row.get(c)) for c in columns] for row in got]
        same = exp == mine
        all_same &= same
        if not same:
            # Say where the answers part, so that a failure elsewhere (CI) can be read.
            at = next((i for i, (e, m) in enumerate(zip(exp, mine)) if e != m), min(len(exp), len(mine)))
            print(f"{name}: the answers differ at row {at} of {len(exp)} (DuckDB) and {len(mine)} "
                  f"(alarmlake): DuckDB {exp[at:at + 3]}, alarmlake {mine[at:at + 3]}", file=sys.stderr)
        print(f"| {name} | {len(exp):,} | {a:.3f} | {d:.3f} | {a / d:.2f} | {'yes' if same else '**NO**'} |")
    ta, td = sum(a_times), sum(d_times)
    print(f"| **total** | | **{ta:.3f}** | **{td:.3f}** | **{ta / td:.2f}** | {'yes' if all_same else '**NO**'} |")
    print()
    print(f"Whole processes, three runs of all six queries: alarmlake sql {a_process:.2f} s, "
          f"DuckDB (Python) {d_process:.2f} s.")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
