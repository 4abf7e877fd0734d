#!/usr/bin/env bash
# Compaction before and after. The P1 input (2M AlarmDecoder dicts, one home, 60 days) is
# ingested into small files, as a consumer that flushes often leaves them: `ingest-file
# --max-rows MAX_ROWS` (default 200; the flush policy is checked every 1,024 records, so files
# hold several hundred rows, about two per hour). Then `alarmlake compact` runs (timed:
# wall, CPU, peak RSS), and P2's six queries run in alarmlake and DuckDB before and after, with
# the answers checked equal. The P1 lake as `ingest-file` writes it (one file per hour) is also
# given to compaction, which must find nothing to merge.
# Prints the figures and appends them to benches/HISTORY.md (the current figure of each benchmark is kept by hand in benches/RESULTS.md).
#
# Usage: benches/compaction.sh [MAX_ROWS]   (COMPACT_DIR sets the work folder)
source "$(dirname "$0")/../scripts/bench-common.sh"
work="${COMPACT_DIR:-$HOME/.cache/alarmlake/compaction}"
max_rows="${1:-200}"
mkdir -p "$work"

prepare_bench

input="$work/p1.ndjson"
[ -s "$input" ] || "$bin" generate --homes 1 --days 60 --seed 1 --format json --out "$input"

files() { find "$1" -path "$1/_alarmlake" -prune -o -name '*.parquet' -print | wc -l; }
megabytes() { du -sm --exclude=_alarmlake "$1" | cut -f1; }

echo "== the P1 input in small files (--max-rows $max_rows)"
lake="$work/small-lake"
rm -rf "$lake"
"$bin" ingest-file --lake "$lake" --no-progress --max-rows "$max_rows" "$input"
files_before=$(files "$lake")
mb_before=$(megabytes "$lake")
before=$("$python" benches/p2.py "$lake" "$bin" benches/p2 "$work/before")
echo "$before"

echo "== alarmlake compact"
/usr/bin/time -f "%e %M %U %S" -o "$work/compact.time" \
    "$bin" compact --lake "$lake" --older-than 1h | tee "$work/compact.log" | tail -1
read -r c_wall c_rss c_user c_sys <"$work/compact.time"
files_after=$(files "$lake")
mb_after=$(megabytes "$lake")
after=$("$python" benches/p2.py "$lake" "$bin" benches/p2 "$work/after")
echo "$after"
status=0
for answer in "$work"/before/*.ndjson; do
    cmp -s "$answer" "$work/after/$(basename "$answer")" || { echo "different answer: $(basename "$answer")"; status=1; }
done

echo "== the P1 lake as ingest-file writes it"
p1_lake="$work/p1-lake"
rm -rf "$p1_lake"
"$bin" ingest-file --lake "$p1_lake" --no-progress "$input"
p1_files=$(files "$p1_lake")
p1_summary=$("$bin" compact --lake "$p1_lake" --older-than 1h | tail -1)
p1_after=$(files "$p1_lake")

{
    echo
    echo "## Compaction: file count and query time before and after ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/compaction.sh $max_rows\` (release build; P2's queries, alarmlake and DuckDB with 2 threads, median of 3)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "- Lake: the P1 input (2M events, one home, 60 days) ingested with \`--max-rows $max_rows\`: $files_before files of $((2001008 / files_before)) rows on average, as a consumer flushing often writes them"
    echo "- Files: **$files_before → $files_after** ($mb_before MB → $mb_after MB); answers identical before and after"
    echo "- \`alarmlake compact\`: ${c_wall} s wall, ${c_user} s user + ${c_sys} s sys, peak RSS $((c_rss / 1024)) MB"
    echo "  - $(tail -1 "$work/compact.log")"
    echo "- The P1 lake as \`ingest-file\` writes it ($p1_files files, one per hour): $p1_summary; $p1_after files after"
    echo
    echo "### Before compaction"
    echo
    echo "$before"
    echo
    echo "### After compaction"
    echo
    echo "$after"
} >>benches/HISTORY.md
exit $status
