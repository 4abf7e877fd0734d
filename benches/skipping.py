"""Data skipping, one lake: queries whose filters the Delta log's file statistics can answer
(time ranges without `date`/`hour`, the latest events), each run as its own `alarmlake sql`
process (as `sql -c` and `report` run) and inside one session, by two binaries alternating in
the same run (A/B), with their answers checked equal. Prints a Markdown table.

Usage: skipping.py LAKE WORK_DIR NAME=BINARY [NAME=BINARY ...]
"""
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

ROUNDS = 5


def days(lake):
    """The dates of alarm_events' partitions, sorted."""
    root = os.path.join(lake, "alarm_events")
    found = [m.group(1) for d in os.listdir(root) if (m := re.fullmatch(r"date=(\d{4}-\d\d-\d\d)", d))]
    return sorted(found)


def queries(lake):
    found = days(lake)
    middle = date.fromisoformat(found[len(found) // 2])
    last = found[-1]
    return [
        ("two hours, by event_time",
         f"SELECT message_type, count(*) AS n FROM alarm_events "
         f"WHERE event_time >= TIMESTAMP '{middle}T10:00:00Z' AND event_time < TIMESTAMP '{middle}T12:00:00Z' "
         f"GROUP BY message_type ORDER BY message_type"),
        ("last day, by event_time",
         f"SELECT site, count(*) AS n, max(event_time) AS latest FROM alarm_events "
         f"WHERE event_time >= TIMESTAMP '{last}T00:00:00Z' GROUP BY site ORDER BY site"),
        ("one week of keypad messages, by event_time",
         f"SELECT count(*) AS n FROM alarm_events WHERE message_type = 'keypad' "
         f"AND event_time BETWEEN TIMESTAMP '{middle}T00:00:00Z' AND TIMESTAMP '{middle + timedelta(days=6)}T23:59:59Z'"),
        ("latest 20 events (ORDER BY event_time DESC LIMIT 20)",
         "SELECT site, event_time, message_type, raw FROM alarm_events "
         "ORDER BY event_time DESC LIMIT 20"),
        # A second sort key without bounds in the log (raw text is longer than the 64 bytes the
        # writer keeps as a bound), so DataFusion cannot order the files by their statistics.
        ("latest 20, ties broken by raw text",
         "SELECT site, event_time, message_type, raw FROM alarm_events "
         "ORDER BY event_time DESC, raw LIMIT 20"),
    ]


def one_shot(binary, lake, sql, out):
    """Wall seconds of a whole `alarmlake sql` process answering `sql` into `out`."""
    started = time.perf_counter()
    subprocess.run([binary, "sql", "--lake", lake, "-c", sql, "--format", "csv", "--output", out],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def in_session(binary, lake, sql, work):
    """Median seconds `alarmlake sql` reports for `sql` over ROUNDS runs in one session."""
    script = os.path.join(work, "session.sql")
    with open(script, "w") as f:
        f.write((sql + ";\n") * ROUNDS)
    done = subprocess.run([binary, "sql", "--lake", lake, "-f", script, "--format", "csv",
                           "--output", os.devnull], capture_output=True, text=True, check=True)
    times = [float(m) for m in re.findall(r"rows in ([0-9.]+) s", done.stderr)]
    assert len(times) == ROUNDS, done.stderr
    return statistics.median(times)


def main(lake, work, *named):
    os.makedirs(work, exist_ok=True)
    binaries = [n.split("=", 1) for n in named]
    qs = queries(lake)
    shots = {(q, b): [] for q, _ in qs for b, _ in binaries}
    for _ in range(ROUNDS):
        for q, sql in qs:
            for b, binary in binaries:  # alternating, so that both see the same machine
                shots[(q, b)].append(one_shot(binary, lake, sql, os.path.join(work, f"{b}.csv")))
    answers_same = True
    warm = {}
    for i, (q, sql) in enumerate(qs):
        outputs = []
        for b, binary in binaries:
            out = os.path.join(work, f"{b}-{i}.csv")
            one_shot(binary, lake, sql, out)
            with open(out) as f:
                outputs.append(f.read())
            warm[(q, b)] = in_session(binary, lake, sql, work)
        if any(o != outputs[0] for o in outputs):
            answers_same = False
            print(f"{q}: the binaries' answers differ", file=sys.stderr)
    files = sum(len([f for f in fs if f.endswith(".parquet")]) for _, _, fs in os.walk(os.path.join(lake, "alarm_events")))
    names = [b for b, _ in binaries]
    print(f"Lake `{lake}`: {files:,} alarm_events files; median of {ROUNDS}, binaries alternating.")
    print()
    header = " | ".join(f"{n} process s | {n} in session s" for n in names)
    print(f"| query | {header} | same answer |")
    print("|---|" + "---:|" * (2 * len(names)) + "---|")
    for q, _ in qs:
        cells = " | ".join(f"{statistics.median(shots[(q, n)]):.3f} | {warm[(q, n)]:.3f}" for n in names)
        print(f"| {q} | {cells} | {'yes' if answers_same else '**NO**'} |")
    return 0 if answers_same else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
