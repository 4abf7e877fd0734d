#!/usr/bin/env bash
# Benchmark P2: six canonical queries (benches/p2/*.sql) in `alarmlake sql` (release build) and
# in DuckDB 2.x over the very same Parquet files, both with two threads, on two lakes:
#   - the P1 lake: 2M AlarmDecoder dicts, one home for 60 days, ~1,445 hour partitions;
#   - the default demo lake: `alarmlake demo` (20 homes, 14 days), whose run time is also timed.
# Answers must be identical. Prints the figures and appends them to benches/HISTORY.md (the current figure of each benchmark is kept by hand in benches/RESULTS.md).
#
# Usage: benches/p2.sh            (P2_DIR sets the work folder; default ~/.cache/alarmlake/p2)
source "$(dirname "$0")/../scripts/bench-common.sh"
work="${P2_DIR:-$HOME/.cache/alarmlake/p2}"
mkdir -p "$work"

prepare_bench

p1_input="$work/p1.ndjson"
p1_lake="$work/p1-lake"
# Written afresh every run: the file layout is part of what this measures.
echo "== the P1 lake: generating and ingesting 60 days of one home"
rm -rf "$p1_lake"
"$bin" generate --homes 1 --days 60 --seed 1 --format json --out "$p1_input"
"$bin" ingest-file --lake "$p1_lake" --no-progress "$p1_input"
rm -f "$p1_input"

echo "== alarmlake demo (default size)"
/usr/bin/time -f "%e %M" -o "$work/demo.time" \
    "$bin" demo --lake "$work/demo-lake" --chart "$work/demo-activity.png" >"$work/demo.log" 2>&1
read -r demo_secs demo_rss <"$work/demo.time"
# The two lakes are gigabytes of fresh files. Without this the queries were timed while the
# kernel was still writing them back to disk: one run had the daily count at 1.35x DuckDB, and
# the same lake measured again a minute later at 0.94x.
sync
demo_summary=$(grep -m1 '^ingested' "$work/demo.log" || true)
cat "$work/demo.log"

status=0
p1_table=$("$python" benches/p2.py "$p1_lake" "$bin" benches/p2 "$work/p1-answers") || status=1
echo "$p1_table"
demo_table=$("$python" benches/p2.py "$work/demo-lake" "$bin" benches/p2 "$work/demo-answers") || status=1
echo "$demo_table"

{
    echo
    echo "## Benchmark P2: six queries, alarmlake sql vs DuckDB on the same files ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/p2.sh\` (release build; queries in \`benches/p2/\`)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "- \`alarmlake demo\` (20 homes, 14 days) ran in **${demo_secs} s** wall, peak RSS $((demo_rss / 1024)) MB: ${demo_summary}"
    echo
    echo "### The P1 lake"
    echo
    echo "$p1_table"
    echo
    echo "### The demo lake"
    echo
    echo "$demo_table"
} >>benches/HISTORY.md
exit $status
