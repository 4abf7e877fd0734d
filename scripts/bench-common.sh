# Shared by scripts/bench-emulators.sh, scripts/bench-localstack.sh, benches/consumer.sh and
# benches/trickle.sh (sourced, not run): builds the release binary, makes the benchmark venv
# (benches/requirements.txt: DuckDB for the checks and queries, boto3 and pyarrow for the Python
# baseline), runs `alarmlake bench`, and starts kinesis-mock for the scripts that drive it
# themselves.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"
bench_venv="${ALARMLAKE_BENCH_VENV:-$HOME/.cache/alarmlake/bench-venv}"

prepare_bench() {
    cargo build --release --locked -p alarmlake
    if [ ! -x "$bench_venv/bin/python" ]; then
        python3 -m venv "$bench_venv"
    fi
    "$bench_venv/bin/pip" install --quiet --disable-pip-version-check -r benches/requirements.txt
}

# The emulators accept any credentials; real ones in the environment are never sent to them.
run_bench() {
    env -u AWS_PROFILE AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
        "$CARGO_TARGET_DIR/release/alarmlake" bench --python "$bench_venv/bin/python" "$@"
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
