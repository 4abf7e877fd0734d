#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints with warnings as errors, and every
# test of the workspace. It installs what the tests need (kinesis-mock from npm; DuckDB and moto
# in a venv; all outside the clone), starts the emulators on 127.0.0.1 with
# scripts/emulators.sh, and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone, so that a second run on the same machine rebuilds in seconds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Test binaries carry their checkout's path (CARGO_MANIFEST_DIR, for fixtures), and cargo does
# not rebuild an unchanged crate for a checkout at another path: when the shared target folder
# was last used by another checkout, rebuild this workspace's own crates (not the dependencies).
marker="$CARGO_TARGET_DIR/.alarmlake-checkout"
if [ -f "$marker" ] && [ "$(cat "$marker")" != "$PWD" ]; then
    echo "== the target folder was built from $(cat "$marker"): rebuilding this checkout's crates"
    cargo clean --quiet --workspace --profile dev
fi
mkdir -p "$CARGO_TARGET_DIR"
echo "$PWD" >"$marker"

echo "== emulators (kinesis-mock, moto S3) and python tools (DuckDB)"
bash scripts/emulators.sh install kinesis s3
stop_emulators() {
    bash scripts/emulators.sh stop kinesis s3
}
trap stop_emulators EXIT
bash scripts/emulators.sh start kinesis s3
eval "$(bash scripts/emulators.sh env kinesis s3)"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== fuzz targets build (tests/corpus_replay.rs runs their checks over the corpus)"
cargo build --locked -p alarmlake-fuzz --features libfuzzer --bins

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --workspace --no-fail-fast
else
    cargo test --locked --workspace --no-fail-fast
fi
