#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints with warnings as errors, and every
# test of the workspace. Later, this script also installs, starts and stops the AWS emulators
# the tests need (see ../shared/design.md); today's tests need none.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone, so that a second run on the same machine rebuilds in seconds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --workspace --no-fail-fast
else
    cargo test --locked --workspace --no-fail-fast
fi
