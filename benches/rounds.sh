#!/usr/bin/env bash
# Benchmark P5-commits: Delta commits per table per flush interval of a 64-shard consumer in
# steady state (release build), against kinesis-mock on 127.0.0.1 (started and stopped here).
#
# A load generator puts RATE events/s for SECONDS into a 64-shard stream while the consumer
# reads it with a flush interval of INTERVAL seconds; then the consumer stops (SIGINT: its
# last flush commits), and every table's log is counted. Issue 28's goal is at most one commit
# per table per flush interval: the shards that flush at one tick of the process's flush
# clock share one commit per table (a flush round, `transform/src/delta/rounds.rs`).
#
# Prints, per table: commits, commits per interval over the run, and the most commits that
# fell in any one interval (commit times from the log, grouped by the consumer's tick). Appends
# the figures to benches/HISTORY.md.
#
# Usage: benches/rounds.sh [RATE] [SECONDS] [INTERVAL]     (defaults 200, 40, 4)
source "$(dirname "$0")/../scripts/bench-common.sh"
rate="${1:-200}"
seconds="${2:-40}"
interval="${3:-4}"
work="${ROUNDS_BENCH_DIR:-$HOME/.cache/alarmlake/rounds-bench}"
rm -rf "$work"
mkdir -p "$work"

prepare_binary
trap 'bash scripts/emulators.sh stop kinesis' EXIT
start_kinesis
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 AWS_METADATA_ENDPOINT=http://127.0.0.1:1

stream="rounds-$(date +%s)"
"$bin" loadgen --stream "$stream" --create --shards 64 --homes 200 --count 64 --format mixed \
    --endpoint-url "$endpoint" --no-progress 2>&1 | tail -1
"$bin" consume --stream "$stream" --endpoint-url "$endpoint" --lake "$work/lake" --app rounds \
    --max-age-secs "$interval" 2>"$work/consume.log" &
consumer=$!
started=$(date +%s.%N)
"$bin" loadgen --stream "$stream" --homes 200 --rate "$rate" --duration "${seconds}s" \
    --format mixed --endpoint-url "$endpoint" --no-progress 2>&1 | tail -1
# Two intervals more, so the last records are committed by ticks, not by the stop.
sleep $((2 * interval))
kill -INT "$consumer"
wait "$consumer" || true
ended=$(date +%s.%N)
consumed=$(grep -h '^consumed' "$work/consume.log" || tail -5 "$work/consume.log")
echo "$consumed"

report=$(python3 - "$work/lake" "$started" "$ended" "$interval" <<'PY'
import glob, json, os, sys
lake, started, ended, interval = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ticks = (ended - started) / interval
flushes = 0
for path in glob.glob(f"{lake}/_alarmlake/checkpoints/rounds/*/*.json"):
    with open(path) as f:
        flushes += json.load(f).get("flushes", 0)
print(f"Run of {ended - started:.0f} s, flush interval {interval:.0f} s: {ticks:.1f} intervals, {flushes} shard flushes.")
print()
print("| table | commits | per interval | most in one interval |")
print("|---|---:|---:|---:|")
for table in sorted(os.listdir(lake)):
    log = os.path.join(lake, table, "_delta_log")
    if not os.path.isdir(log):
        continue
    times = []
    for path in sorted(glob.glob(log + "/*.json"))[1:]:  # version 0 creates the table
        with open(path) as f:
            for line in f:
                info = json.loads(line).get("commitInfo")
                if info:
                    times.append(info["timestamp"] / 1000)
    if not times:
        continue
    # Commits of one round land within a few seconds of each other; a window of one interval
    # that starts at each commit shows the most any interval held.
    times.sort()
    most = max(sum(1 for t in times if start <= t < start + interval) for start in times)
    print(f"| {table} | {len(times)} | {len(times) / ticks:.2f} | {most} |")
PY
)
echo "$report"
{
    echo
    echo "## Benchmark P5-commits: Delta commits of a 64-shard consumer in steady state ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/rounds.sh $rate $seconds $interval\` (release build$( [ -n "${ALARMLAKE_BIN:-}" ] && echo ", binary $ALARMLAKE_BIN"); kinesis-local 0.6.2 on 127.0.0.1)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo
    echo "$report"
    echo
    echo "Consumer: $consumed."
} >>benches/HISTORY.md
