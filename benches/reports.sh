#!/usr/bin/env bash
# Benchmark: every ready-made report (`alarmlake report list`) in alarmlake (release build) and in
# DuckDB over the same Parquet files, on the default demo lake (`alarmlake demo`: 20 homes, 14
# days), with a sites table that spreads the homes over five zones. Every report must return
# rows and both engines the same answer. Prints the table and appends it to benches/HISTORY.md.
#
# Usage: benches/reports.sh   (REPORTS_DIR sets the work folder; default ~/.cache/alarmlake/reports;
#                              an existing demo lake there is reused)
source "$(dirname "$0")/../scripts/bench-common.sh"
work="${REPORTS_DIR:-$HOME/.cache/alarmlake/reports}"
mkdir -p "$work"

prepare_bench

if [ ! -d "$work/demo-lake/alarm_events" ]; then
    echo "== alarmlake demo (default size)"
    "$bin" demo --lake "$work/demo-lake" --chart "$work/demo-activity.png" >"$work/demo.log" 2>&1
    # The demo's lines all decode; two that do not give the health report (and DuckDB's
    # dead_letters view) something to read.
    printf '!RFX:broken\nnot an event\n' | "$bin" ingest-file --lake "$work/demo-lake" --no-progress - 2>/dev/null
    sync
fi

status=0
table=$("$python" benches/reports.py "$work/demo-lake" "$bin" "$work/answers") || status=1
echo "$table"
{
    echo
    echo "## Reports: alarmlake vs DuckDB on the demo lake ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/reports.sh\` (release build)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo
    echo "$table"
} >>benches/HISTORY.md
exit $status
