#!/usr/bin/env bash
# Files and rows per file for a stream where 5 % of events arrive 2 to 48 hours late: two
# consumers on the same kinesis-mock stream at once, one holding late rows per hour (the
# default), one with `--late-after off` (benches/late_events.py). File counts do not depend on
# the build, so ALARMLAKE_BIN may point at a debug binary.
# Usage: benches/late_events.sh [SECONDS] [RATE]    (defaults 90 s, 100 events/s)
source "$(dirname "$0")/../scripts/bench-common.sh"
prepare_binary
trap 'bash scripts/emulators.sh stop kinesis' EXIT
start_kinesis
python="${ALARMLAKE_PYTHON:-$HOME/.cache/alarmlake/venv/bin/python}"
"$python" benches/late_events.py "$bin" "$endpoint" "${1:-90}" "${2:-100}"
