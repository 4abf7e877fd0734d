#!/usr/bin/env bash
# `alarmlake bench --target emulators` against kinesis-mock and moto on 127.0.0.1, started and
# stopped here (scripts/emulators.sh). Extra arguments go to `alarmlake bench`, e.g.
#   scripts/bench-emulators.sh --shards 4 --rate 1000 --duration 60s --out benches/results/emulators
# Default size: 2 shards, 500 events/s for 30 s (the emulator slows down as shards fill).
source "$(dirname "$0")/bench-common.sh"
prepare_bench
bash scripts/emulators.sh install kinesis s3
bash scripts/emulators.sh start kinesis s3
trap 'bash scripts/emulators.sh stop kinesis s3' EXIT
run_bench --target emulators "$@"
