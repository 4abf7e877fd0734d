#!/usr/bin/env bash
# Data skipping with the Delta log's statistics: queries filtered on event_time (no date/hour)
# and the latest events, on the P1 lake (one home, 60 days, ~1,445 hour files), each as its own
# `alarmlake sql` process and inside one session, by this checkout's release build and by
# ALARMLAKE_BASE_BIN (a build of the parent commit), alternating in one run; answers must match.
# Prints the table and appends it to benches/HISTORY.md.
#
# Usage: ALARMLAKE_BASE_BIN=/path/to/base/alarmlake benches/skipping.sh
#        (SKIPPING_DIR sets the work folder; without a base binary only this build is timed)
source "$(dirname "$0")/../scripts/bench-common.sh"
work="${SKIPPING_DIR:-$HOME/.cache/alarmlake/skipping}"
mkdir -p "$work"

prepare_bench

lake="$work/p1-lake"
if [ ! -d "$lake/alarm_events/_delta_log" ]; then
    rm -rf "$lake"
    "$bin" generate --homes 1 --days 60 --seed 1 --format json --out "$work/p1.ndjson"
    "$bin" ingest-file --lake "$lake" --no-progress "$work/p1.ndjson"
    rm -f "$work/p1.ndjson"
    sync
fi

binaries=("head=$bin")
[ -n "${ALARMLAKE_BASE_BIN:-}" ] && binaries=("base=$ALARMLAKE_BASE_BIN" "${binaries[@]}")
table=$("$python" benches/skipping.py "$lake" "$work/answers" "${binaries[@]}")
echo "$table"
{
    echo
    echo "## Data skipping with the log's statistics ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/skipping.sh\` (release builds; base: ${ALARMLAKE_BASE_BIN:-none})"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo
    echo "$table"
} >>benches/HISTORY.md
