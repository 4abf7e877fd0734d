#!/usr/bin/env bash
# Benchmarks P3, P5 and P6 of the Kinesis consumer (release build), against kinesis-mock on
# 127.0.0.1 (started and stopped here with scripts/emulators.sh):
#   P3  consumer CPU seconds (user + sys of the consumer process only) per million records,
#       decode → Parquet → checkpoint included, 8 shards;
#   P5  peak RSS of the consumer with 64 shards and a backlog;
#   P6  events consumed per second, divided by what a bare GetRecords loop (no decoding, no
#       writing) reads from the same stream (`consume --bench-read-only`).
# Beside P3 it prints two floors under it, per million records of the same stream: the bare
# loop's CPU, and the CPU `curl` needs just to receive the same answers
# (benches/transport_floor.py), the wire format's price before any of alarmlake's code.
# Prints the figures and appends them to benches/HISTORY.md (the current figure of each benchmark is kept by hand in benches/RESULTS.md).
#
# Usage: benches/consumer.sh [RECORDS_P3] [RECORDS_PER_SHARD_P5]     (defaults 60000 and 500)
source "$(dirname "$0")/../scripts/bench-common.sh"
records="${1:-60000}"
asked="$records"
per_shard="${2:-500}"
work="${CONSUMER_BENCH_DIR:-$HOME/.cache/alarmlake/consumer-bench}"
rm -rf "$work"
mkdir -p "$work"

prepare_binary
trap 'bash scripts/emulators.sh stop kinesis' EXIT
start_kinesis

# run NAME ARGS...: the consumer under /usr/bin/time; "<wall s> <peak KB> <user s> <sys s>".
run() {
    local name=$1
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$work/$name.time" "$bin" consume "$@" 2>"$work/$name.log"
    cat "$work/$name.time"
}

echo "== P3 and P6: $records records on 8 shards"
"$bin" loadgen --stream p3 --create --shards 8 --homes 40 --count "$records" --format mixed \
    --endpoint-url "$endpoint" --concurrency 8 2>&1 | tail -1
read -r base_wall _ base_user base_sys < <(run baseline --stream p3 --endpoint-url "$endpoint" \
    --lake "$work/lake-baseline" --app baseline --drain --bench-read-only)
read -r full_wall full_rss full_user full_sys < <(run p3 --stream p3 --endpoint-url "$endpoint" \
    --lake "$work/lake-p3" --app p3 --drain)
grep -h '^consumed' "$work/baseline.log" "$work/p3.log"
# Not a goal, so a missing curl or a failed fetch leaves the row out rather than the run.
read -r floor_cpu floor_records floor_bytes < <(python3 benches/transport_floor.py "$endpoint" p3) || true
# Per million records the consumer actually read: the load generator's --count is of events,
# and its mix can put a few hundred more records than asked.
read_records=$(sed -n 's/^consumed \([0-9]*\) records.*/\1/p' "$work/p3.log")
records="${read_records:-$records}"
# The consumer's own count of its CPU (getrusage, to the microsecond), in all and after start-up,
# from the end of its summary line. /usr/bin/time counts in clock ticks, 10 ms each: up to a
# tenth of a 20,000-record drain.
in_all=$(sed -n 's/^consumed .*; \([0-9.]*\) CPU s in all, .*/\1/p' "$work/p3.log")
# after_start LOG: a consume's own CPU count without its start-up, from its summary line.
after_start() { sed -n 's/^consumed .*, \([0-9.]*\) after start-up$/\1/p' "$1"; }
after_start=$(after_start "$work/p3.log")
bare_after=$(after_start "$work/baseline.log")

echo "== P5: 64 shards with $per_shard records each"
"$bin" loadgen --stream p5 --create --shards 64 --homes 200 --count $((64 * per_shard)) --format mixed \
    --endpoint-url "$endpoint" --concurrency 8 2>&1 | tail -1
read -r p5_wall p5_rss p5_user p5_sys < <(run p5 --stream p5 --endpoint-url "$endpoint" \
    --lake "$work/lake-p5" --app p5 --drain)
grep -h '^consumed' "$work/p5.log"
# How many Delta commits the 64 shards' flushes took, per table (grouped commits).
commits=$(python3 - "$work/lake-p5" <<'PY'
import glob, json, os, sys
lake = sys.argv[1]
flushes = 0
for path in glob.glob(f"{lake}/_alarmlake/checkpoints/p5/*/*.json"):
    with open(path) as f:
        flushes += json.load(f).get("flushes", 0)
parts = []
for table in sorted(os.listdir(lake)):
    log = os.path.join(lake, table, "_delta_log")
    if os.path.isdir(log):
        # Version 0 creates the table; every later commit holds flushes.
        parts.append(f"{table} {len(glob.glob(log + '/*.json')) - 1}")
print(f"{flushes} shard flushes; commits: " + ", ".join(parts))
PY
)
echo "P5 $commits"

report=$(python3 - "${in_all:-nan}" "${after_start:-nan}" "${bare_after:-nan}" "${floor_cpu:-nan}" \
    "${floor_records:-0}" "${floor_bytes:-0}" "$records" "$base_wall" "$base_user" "$base_sys" "$full_wall" "$full_rss" "$full_user" "$full_sys" \
    "$((64 * per_shard))" "$p5_wall" "$p5_rss" "$p5_user" "$p5_sys" <<'PY'
import sys
(in_all, after, bare, floor, floor_n, floor_bytes, n, bw, bu, bs, fw, frss, fu, fs, n5, w5, rss5, u5, s5) = sys.argv[1:]
floor_n, floor_bytes = int(floor_n), int(floor_bytes)
n, n5 = int(n), int(n5)
bw, bu, bs, fw, fu, fs = map(float, (bw, bu, bs, fw, fu, fs))
# The consumer's own count; /usr/bin/time's ticks if its summary line was not found.
cpu = float(in_all) if in_all != "nan" else fu + fs
print("| measure | figure | goal |")
print("|---|---:|---|")
print(f"| P3: consumer CPU s per million records (8 shards, {n:,} records; {cpu:.3f} CPU s) | **{cpu / n * 1e6:.2f}** | <= 1.5 |")
print(f"| the same without the consumer's start-up (its own count: {float(after):.3f} CPU s) | {float(after) / n * 1e6:.2f} | |")
print(f"| floor: the bare GetRecords loop without its start-up ({float(bare):.3f} CPU s) | {float(bare) / n * 1e6:.2f} | |")
if floor_n:
    print(f"| floor: `curl` receiving the same answers ({float(floor):.3f} CPU s for {floor_n:,} records, {floor_bytes / floor_n:,.0f} bytes each) | {float(floor) / floor_n * 1e6:.2f} | |")
print(f"| P5: peak RSS, 64 shards, {n5:,} records backlog | **{int(rss5) / 1024:.0f} MB** | <= 300 MB |")
print(f"| P6: consumer {n / fw:,.0f} records/s vs bare GetRecords loop {n / bw:,.0f} records/s | **{bw / fw:.2f}** | >= 0.9 |")
print()
print(f"Wall seconds: baseline {bw:.1f}, consumer {fw:.1f} (peak RSS {int(frss) / 1024:.0f} MB), P5 run {float(w5):.1f}. "
      f"Baseline CPU {bu + bs:.2f} s (clock ticks).")
PY
)
report="$report

P5 Delta commits: $commits."
echo "$report"
{
    echo
    echo "## Benchmarks P3, P5, P6: the Kinesis consumer against kinesis-mock ($(date -u +%Y-%m-%d))"
    echo
    echo "- Command: \`benches/consumer.sh $asked $per_shard\` (release build; kinesis-local 0.6.2 on 127.0.0.1)"
    echo "- Machine: $(nproc) vCPU $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB"
    echo
    echo "$report"
} >>benches/HISTORY.md
