#!/usr/bin/env bash
# A live consumer's CPU on a trickle: an 8-shard kinesis-mock stream fed a low, steady rate (the
# shape of a fleet of homes), which measures what the consumer spends per GetRecords call and
# per flush rather than per record. Each round: a fresh stream, `alarmlake consume` running,
# `alarmlake loadgen --rate RATE --duration 40s`, then the consumer's CPU over that time (from
# /proc, in 10 ms ticks). Starts and stops kinesis-mock with scripts/emulators.sh.
#
# Usage: benches/trickle.sh [RATE] [ROUNDS] [OTHER_BINARY]    (defaults 40 events/s, 2 rounds)
# With OTHER_BINARY (an `alarmlake` built elsewhere, e.g. from the parent commit), each round
# runs both, alternating, so the two are compared in the same conditions.
source "$(dirname "$0")/../scripts/bench-common.sh"
rate="${1:-40}"
rounds="${2:-2}"
other="${3:-}"
prepare_binary
work=$(mktemp -d)
trap 'bash scripts/emulators.sh stop kinesis; rm -rf "$work"' EXIT
start_kinesis

# one LABEL BINARY: one round with that consumer; prints its CPU and what was put and read.
one() {
    local label=$1 consumer=$2 stream="trickle-$1-$RANDOM"
    "$bin" loadgen --stream "$stream" --create --shards 8 --homes 40 --count 1 \
        --endpoint-url "$endpoint" --no-progress >/dev/null 2>&1
    "$consumer" consume --stream "$stream" --endpoint-url "$endpoint" --lake "$work/lake-$stream" \
        --app "$stream" >"$work/$stream.log" 2>&1 &
    local pid=$!
    sleep 3
    local before after
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    "$bin" loadgen --stream "$stream" --homes 40 --rate "$rate" --duration 40s \
        --endpoint-url "$endpoint" --no-progress >"$work/$stream.put" 2>&1
    sleep 2
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill -TERM "$pid"
    wait "$pid"
    echo "$label: $(( (after - before) * 10 )) ms CPU while $(grep -o 'put [0-9]* events' "$work/$stream.put"); $(grep -o 'consumed [0-9]* records' "$work/$stream.log")"
}

for round in $(seq 1 "$rounds"); do
    echo "== round $round"
    if [ -n "$other" ]; then
        one other "$other"
    fi
    one this "$bin"
done
