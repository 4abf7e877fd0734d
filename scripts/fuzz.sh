#!/usr/bin/env bash
# Fuzzes every target in fuzz/ (or those named) for a time box each (default 60 s), with
# cargo-fuzz on libFuzzer. New inputs that reach new code are kept in fuzz/corpus/<target>/,
# which the workspace's tests replay on every CI run (fuzz/tests/corpus_replay.rs); a crash is
# left in fuzz/artifacts/<target>/ and ends the run with its name.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Not part of CI: the instrumented build of the GetRecords target builds the consumer's whole
# dependency tree again (about 15 minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
# cargo-fuzz passes nightly-only flags to rustc; this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}-fuzz"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run --fuzz-dir fuzz --features libfuzzer "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10
done
