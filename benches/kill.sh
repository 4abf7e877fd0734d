#!/usr/bin/env bash
# The kill test at benchmark size: two workers on 8 shards, lake and checkpoints on moto S3,
# killed with SIGKILL over and over, then every version of every table's log replayed
# (cli/tests/consume_kinesis.rs, `two_workers_killed_over_and_over_on_s3_never_show_a_row_twice`).
# CI runs it with 20,000 records; this runs it with RECORDS (default 200,000) and prints the
# test's own summary line (kills, takeovers, flushes settled) and its duration.
#
# Usage: benches/kill.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-200000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
bash scripts/emulators.sh install kinesis s3
trap 'bash scripts/emulators.sh stop kinesis s3' EXIT
bash scripts/emulators.sh start kinesis s3
eval "$(bash scripts/emulators.sh env kinesis s3)"
started=$(date +%s)
# `--workspace`, as scripts/test.sh builds: the same features, so the test suite's build is reused.
ALARMLAKE_KILL_RECORDS="$records" cargo nextest run --locked --workspace --no-capture \
    -E 'test(two_workers_killed_over_and_over_on_s3_never_show_a_row_twice)' 2>&1 |
    grep -E 'kills|PASS|FAIL|panicked'
echo "$records records: $(($(date +%s) - started)) s, $(nproc) vCPU, $(date -u +%Y-%m-%d)"
