"""The reports benchmark, one lake: every ready-made report in alarmlake (`alarmlake sql` on the
SQL `alarmlake report NAME --show-sql` prints) and in DuckDB over the very same Parquet files,
both with two threads, three runs each (the median counts), with a sites table that puts the
homes in five zones. Checks that every report returns rows and that both engines give the same
answer, and prints a Markdown table.

Usage: reports.py LAKE ALARMLAKE_BINARY WORK_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from p2 import RUNS, run_alarmlake, run_duckdb  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from lake_check import normalize  # noqa: E402

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London"]


def sites_file(work, homes=20):
    """Homes (and their MODE home ids) in five zones; every other one a business with hours."""
    path = os.path.join(work, "sites.csv")
    with open(path, "w") as f:
        f.write("site,time_zone,name,opens,closes\n")
        for i in range(1, homes + 1):
            zone = ZONES[i % len(ZONES)]
            hours = "07:30,18:00" if i % 2 == 0 else ","
            f.write(f"home-{i:04d},{zone},Home {i},{hours}\n")
            f.write(f"{1000 + i},{zone},Home {i} devices,,\n")
    return path


def alarmed_site(binary, lake):
    """A site with an alarm in the lake, for alarm-timeline (home-0001 if none has one)."""
    rows = subprocess.run(
        [binary, "report", "alarms", "--lake", lake, "--format", "ndjson"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    return json.loads(rows[0])["site"] if rows else "home-0001"


def report_queries(binary, sites, site):
    names = [
        line.split()[0]
        for line in subprocess.run([binary, "report", "list"], capture_output=True, text=True, check=True)
        .stdout.splitlines()
        if line.strip()
    ]
    queries = []
    for name in names:
        args = [binary, "report", name, "--sites", sites, "--show-sql"]
        if name == "alarm-timeline":
            args += ["--site", site]
        sql = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        queries.append((name, sql.strip()))
    return queries


def main(lake, binary, work):
    os.makedirs(work, exist_ok=True)
    qs = report_queries(binary, sites_file(work), alarmed_site(binary, lake))
    a_times, a_answers, _ = run_alarmlake(binary, lake, qs, work)
    d_times, d_answers, _, version = run_duckdb(lake, qs)
    print(f"Lake `{lake}`, sites in {len(ZONES)} zones; DuckDB {version}, both engines with 2 threads, "
          f"median of {RUNS} runs.")
    print()
    print("| report | rows | alarmlake s | DuckDB s | alarmlake / DuckDB | same answer |")
    print("|---|---:|---:|---:|---:|---|")
    status = 0
    for (name, _), a, d, got, (columns, expected) in zip(qs, a_times, d_times, a_answers, d_answers):
        exp = [[normalize(v) for v in row] for row in expected]
        mine = [[normalize(row.get(c)) for c in columns] for row in got]
        same = exp == mine
        if not same or not exp:
            status = 1
            print(f"{name}: {'no rows' if not exp else 'the answers differ'}", file=sys.stderr)
        print(f"| {name} | {len(exp):,} | {a:.3f} | {d:.3f} | {a / d:.2f} | {'yes' if same else '**NO**'} |")
    ta, td = sum(a_times), sum(d_times)
    print(f"| **total** | | **{ta:.3f}** | **{td:.3f}** | **{ta / td:.2f}** | |")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
