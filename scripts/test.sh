#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints with warnings as errors, and every
# test of the workspace. It installs what the tests need (DuckDB and moto, in a venv outside the
# clone), starts moto's S3 on 127.0.0.1, and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build outside the clone, so that a second run on the same machine rebuilds in seconds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
venv="${ALARMLAKE_VENV:-$HOME/.cache/alarmlake/venv}"
moto_port="${ALARMLAKE_MOTO_PORT:-5055}"
logs="$(mktemp -d)"

echo "== python tools (DuckDB, moto) in $venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/test-requirements.txt

echo "== moto S3 on 127.0.0.1:$moto_port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$logs/moto.log" 2>&1 &
moto_pid=$!
stop_moto() {
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
}
trap stop_moto EXIT
for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        cat "$logs/moto.log"
        echo "moto did not start" >&2
        exit 1
    fi
    sleep 0.2
done
export ALARMLAKE_TEST_PYTHON="$venv/bin/python"
export ALARMLAKE_TEST_S3_ENDPOINT="http://127.0.0.1:$moto_port"

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
