# Shared by scripts/bench-emulators.sh, scripts/bench-localstack.sh and every script in benches/
# (sourced, not run): builds the release binary, makes the benchmark venv
# (benches/requirements.txt: DuckDB for the checks and queries, boto3 and pyarrow for the Python
# baseline), runs `alarmlake bench`, and starts kinesis-mock for the scripts that drive it
# themselves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
bench_venv="${ALARMLAKE_BENCH_VENV:-$HOME/.cache/alarmlake/bench-venv}"

# Sets `bin`, the binary the benchmarks time: $ALARMLAKE_BIN when set (one built elsewhere, such
# as the parent commit's for a same-run A/B), else this checkout's release build, built first.
prepare_binary() {
    if [ -n "${ALARMLAKE_BIN:-}" ]; then
        bin="$ALARMLAKE_BIN"
    else
        cargo build --release --locked -p alarmlake
        bin="$CARGO_TARGET_DIR/release/alarmlake"
    fi
}

# prepare_venv DIR REQUIREMENTS: a venv at DIR with REQUIREMENTS installed; sets `python`.
prepare_venv() {
    [ -x "$1/bin/python" ] || python3 -m venv "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    python="$1/bin/python"
}

# The lake check reads through the Delta log with DuckDB's delta extension, which is built for an
# older DuckDB than the benchmark's: it runs in the tests' venv (scripts/test-requirements.txt).
prepare_bench() {
    prepare_binary
    prepare_venv "$bench_venv" benches/requirements.txt
    bash scripts/emulators.sh install s3
    eval "$(bash scripts/emulators.sh env s3)"
}

# The emulators accept any credentials; real ones in the environment are never sent to them.
run_bench() {
    env -u AWS_PROFILE AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
        "$bin" bench --python "$bench_venv/bin/python" \
        --check-python "$ALARMLAKE_TEST_PYTHON" "$@"
}

# Installs and starts kinesis-mock, and sets `endpoint` and the emulator's fixed credentials.
# The caller's EXIT trap stops it (`bash scripts/emulators.sh stop kinesis`).
start_kinesis() {
    bash scripts/emulators.sh install kinesis
    bash scripts/emulators.sh start kinesis
    eval "$(bash scripts/emulators.sh env kinesis)"
    endpoint="$ALARMLAKE_TEST_KINESIS_ENDPOINT"
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
}
