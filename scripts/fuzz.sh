#!/usr/bin/env bash
# Builds and runs every decoder fuzz target for a short time (default 30 s each). Not part of CI.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../schemas/fuzz"
seconds="${1:-30}"
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
# cargo-fuzz passes nightly-only flags to rustc; this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/fuzz-target}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run "$target" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048
done
