#!/usr/bin/env bash
# Benchmark P1: 2M AlarmDecoder JSON dict records (60 days of one home, about 1.2 GB) into a
# date/hour-partitioned zstd Parquet lake: `alarmlake ingest-file` (release build) against
# DuckDB's COPY ... PARTITION_BY with two threads, on the same input, in the same run.
# Prints the figures and appends them to benches/HISTORY.md (the current figure of each benchmark is kept by hand in benches/RESULTS.md).
#
# Usage: benches/p1.sh            (P1_DIR sets the work folder; default ~/.cache/alarmlake/p1)
source "$(dirname "$0")/../scripts/bench-common.sh"
work="${P1_DIR:-$HOME/.cache/alarmlake/p1}"
mkdir -p "$work"

prepare_binary
prepare_venv "${ALARMLAKE_VENV:-$HOME/.cache/alarmlake/venv}" scripts/test-requirements.txt

input="$work/p1.ndjson"
if [ ! -s "$input" ]; then
    echo "== generating $input"
    /usr/bin/time -f "%e" -o "$work/generate.time" "$bin" generate --homes 1 --days 60 --seed 1 --format json --out "$input"
    echo "generated in $(cat "$work/generate.time") s"
fi
rows=$(wc -l <"$input")
megabytes=$(( $(stat -c %s "$input") / 1000000 ))

echo "== alarmlake ingest-file"
rm -rf "$work/lake-alarmlake"
/usr/bin/time -f "%e %M %U %S" -o "$work/alarmlake.time" \
    "$bin" ingest-file --lake "$work/lake-alarmlake" --no-progress "$input" 2>"$work/alarmlake.log"
cat "$work/alarmlake.log"

echo "== DuckDB COPY (threads=2)"
rm -rf "$work/lake-duckdb"
/usr/bin/time -f "%e %M %U %S" -o "$work/duckdb.time" "$python" - "$input" "$work/lake-duckdb" <<'PY'
import sys, duckdb
source, target = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads=2")
con.execute(f"""COPY (SELECT *, strftime(CAST(time AS TIMESTAMP), '%Y-%m-%d') AS date,
                             hour(CAST(time AS TIMESTAMP)) AS hour
                      FROM read_json_auto('{source}', sample_size=-1))
               TO '{target}' (FORMAT parquet, PARTITION_BY (date, hour), COMPRESSION zstd)""")
PY

# Both lakes must hold every row.
counts=$("$python" - "$work" <<'PY'
import sys, duckdb
work = sys.argv[1]
con = duckdb.connect()
a = con.execute(f"SELECT count(*) FROM read_parquet('{work}/lake-alarmlake/alarm_events/**/*.parquet', hive_partitioning=true)").fetchone()[0]
d = con.execute(f"SELECT count(*) FROM read_parquet('{work}/lake-duckdb/**/*.parquet', hive_partitioning=true)").fetchone()[0]
print(a, d)
PY
)
read -r alarmlake_rows duckdb_rows <<<"$counts"
read -r a_secs a_rss a_user a_sys <"$work/alarmlake.time"
read -r d_secs d_rss d_user d_sys <"$work/duckdb.time"
a_files=$(find "$work/lake-alarmlake" -name '*.parquet' | wc -l)
d_files=$(find "$work/lake-duckdb" -name '*.parquet' | wc -l)
a_size=$(du -sm "$work/lake-alarmlake" | cut -f1)
d_size=$(du -sm "$work/lake-duckdb" | cut -f1)

report=$(python3 - "$rows" "$alarmlake_rows" "$duckdb_rows" "$a_secs" "$a_rss" "$a_user" "$a_sys" "$d_secs" "$d_rss" "$d_user" "$d_sys" "$a_files" "$d_files" "$a_size" "$d_size" "$megabytes" <<'PY'
import sys
(rows, ar, dr, a_s, a_rss, a_u, a_sy, d_s, d_rss, d_u, d_sy, af, df, asz, dsz, mb) = sys.argv[1:]
rows, ar, dr, af, df = int(rows), int(ar), int(dr), int(af), int(df)
a_s, d_s = float(a_s), float(d_s)
a_rss, d_rss = int(a_rss) / 1024, int(d_rss) / 1024
a_cpu, d_cpu = float(a_u) + float(a_sy), float(d_u) + float(d_sy)
print(f"| tool | rows written | wall s | rows/s | CPU s | peak RSS MB | files | lake MB |")
print(f"|---|---:|---:|---:|---:|---:|---:|---:|")
print(f"| alarmlake ingest-file | {ar:,} | {a_s:.1f} | {rows / a_s:,.0f} | {a_cpu:.1f} | {a_rss:.0f} | {af:,} | {asz} |")
print(f"| DuckDB COPY, threads=2 | {dr:,} | {d_s:.1f} | {rows / d_s:,.0f} | {d_cpu:.1f} | {d_rss:.0f} | {df:,} | {dsz} |")
print()
print(f"Input: {rows:,} records, {mb} MB. Ratios (alarmlake / DuckDB): rows/s **{d_s / a_s:.2f}x** (goal >= 2x), "
      f"peak RSS **{a_rss / d_rss:.2f}x** (goal <= 0.5x), CPU seconds {a_cpu / d_cpu:.2f}x.")
PY
)
echo "$report"
{
    echo
    echo "## Benchmark P1: ingest 2M JSON dicts into a partitioned lake ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/p1.sh\` (release build; both tools on the same file, one after the other)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo
    echo "$report"
} >>benches/HISTORY.md
