#!/usr/bin/env bash
# The AWS emulators the tests and benchmarks talk to, all on 127.0.0.1 and without Docker:
#   kinesis     kinesis-mock (npm kinesis-local@0.6.2), HTTP on :4568 (TLS :4567)
#   s3          moto server (moto[server]==5.2.1, in the test venv), on :5055
#   localstack  LocalStack 4.13.1 in host mode (Kinesis and S3), on :4566 (not started by default)
#
# Usage: scripts/emulators.sh install|start|stop|env [kinesis] [s3] [localstack]
#   With no names: kinesis and s3. `start` waits until each answers; `stop` kills only the
#   processes `start` recorded. `env` prints the variables the tests read.
# Everything lives in ~/.cache/alarmlake (ALARMLAKE_CACHE), outside the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

cache="${ALARMLAKE_CACHE:-$HOME/.cache/alarmlake}"
state="$cache/emulators"
venv="${ALARMLAKE_VENV:-$cache/venv}"
localstack_venv="$cache/localstack-venv"
kinesis_port="${ALARMLAKE_KINESIS_PORT:-4568}"
kinesis_tls_port="${ALARMLAKE_KINESIS_TLS_PORT:-4567}"
moto_port="${ALARMLAKE_MOTO_PORT:-5055}"
localstack_port="${ALARMLAKE_LOCALSTACK_PORT:-4566}"
mkdir -p "$state/run"

action="${1:-}"
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=(kinesis s3)
fi

install_kinesis() {
    if [ ! -f "$state/node_modules/kinesis-local/main.js" ]; then
        (cd "$state" && npm install --no-audit --no-fund --silent kinesis-local@0.6.2)
    fi
}

python_venv() {
    if [ ! -x "$1/bin/python" ]; then
        python3 -m venv "$1"
    fi
}

install_s3() {
    python_venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/scripts/test-requirements.txt"
}

install_localstack() {
    python_venv "$localstack_venv"
    "$localstack_venv/bin/pip" install --quiet --disable-pip-version-check \
        'localstack-core[runtime]==4.13.1' 'cbor2<6' 'pyopenssl<25' 'cryptography<45' service-identity
    # LocalStack 4.13.1 on Python 3.11 needs postponed annotations in this one module.
    local api
    # (Found without importing it, since importing it is what fails.)
    api=$("$localstack_venv/bin/python" -c 'import importlib.util as u; print(u.find_spec("localstack").submodule_search_locations[0])')/packages/api.py
    if ! head -1 "$api" | grep -q '__future__'; then
        sed -i '1i from __future__ import annotations' "$api"
    fi
}

# wait_until NAME PID URL [METHOD]: polls URL until it answers, or fails if the process died.
wait_until() {
    local name=$1 pid=$2 url=$3 method=${4:-GET}
    for _ in $(seq 1 300); do
        if curl -s -o /dev/null -X "$method" --max-time 1 "$url"; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited during start-up; its log:" >&2
            tail -50 "$state/run/$name.log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "$name did not answer at $url within 60 s" >&2
    return 1
}

running() {
    local pid_file="$state/run/$1.pid"
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

start_kinesis() {
    local pkg="$state/node_modules/kinesis-local"
    (
        cd "$state/run"
        export KINESIS_MOCK_PLAIN_PORT="$kinesis_port" KINESIS_MOCK_TLS_PORT="$kinesis_tls_port"
        export KINESIS_MOCK_CERT_PATH="$pkg/server.json"
        export CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms MERGE_SHARDS_DURATION=0ms
        export SPLIT_SHARD_DURATION=0ms UPDATE_SHARD_COUNT_DURATION=0ms
        export REGISTER_STREAM_CONSUMER_DURATION=0ms DEREGISTER_STREAM_CONSUMER_DURATION=0ms
        export START_STREAM_ENCRYPTION_DURATION=0ms STOP_STREAM_ENCRYPTION_DURATION=0ms
        export UPDATE_STREAM_MODE_DURATION=0ms SHOULD_PERSIST_DATA=false SHARD_LIMIT=1000
        exec node "$pkg/main.js"
    ) >"$state/run/kinesis.log" 2>&1 &
    echo $! >"$state/run/kinesis.pid"
    wait_until kinesis $! "http://127.0.0.1:$kinesis_port/" POST
}

start_s3() {
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$state/run/s3.log" 2>&1 &
    echo $! >"$state/run/s3.pid"
    wait_until s3 $! "http://127.0.0.1:$moto_port/moto-api/"
}

start_localstack() {
    mkdir -p "$state/localstack-data"
    # Nothing outside 127.0.0.1: no analytics events, no download of LocalStack's test TLS
    # certificate (it makes its own), no DNS server (it binds 0.0.0.0:53 and asks upstream),
    # and the hypercorn gateway, which binds the address GATEWAY_LISTEN names (the default
    # twisted one binds 0.0.0.0 whatever it says).
    OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$state/localstack-data" \
        GATEWAY_LISTEN="127.0.0.1:$localstack_port" SERVICES=kinesis,s3 \
        DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 DNS_ADDRESS=0 GATEWAY_SERVER=hypercorn \
        "$localstack_venv/bin/python" -m localstack.runtime.main >"$state/run/localstack.log" 2>&1 &
    echo $! >"$state/run/localstack.pid"
    local pid=$!
    for _ in $(seq 1 600); do
        if curl -s --max-time 1 "http://127.0.0.1:$localstack_port/_localstack/health" | grep -q '"kinesis": "\(running\|available\)"'; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -50 "$state/run/localstack.log" >&2
            return 1
        fi
        sleep 0.2
    done
    echo "localstack did not become healthy within 120 s" >&2
    return 1
}

stop_one() {
    local pid_file="$state/run/$1.pid"
    if [ -f "$pid_file" ]; then
        local pid
        pid=$(cat "$pid_file")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$pid_file"
    fi
}

env_one() {
    case $1 in
        kinesis) echo "export ALARMLAKE_TEST_KINESIS_ENDPOINT=http://127.0.0.1:$kinesis_port" ;;
        s3)
            echo "export ALARMLAKE_TEST_S3_ENDPOINT=http://127.0.0.1:$moto_port"
            echo "export ALARMLAKE_TEST_PYTHON=$venv/bin/python"
            ;;
        localstack) echo "export ALARMLAKE_TEST_LOCALSTACK_ENDPOINT=http://127.0.0.1:$localstack_port" ;;
    esac
}

for name in "${names[@]}"; do
    case $name in
        kinesis | s3 | localstack) ;;
        *) echo "unknown emulator $name (kinesis, s3, localstack)" >&2; exit 2 ;;
    esac
    case $action in
        install) "install_$name" ;;
        start)
            if running "$name"; then
                echo "$name is already running (pid $(cat "$state/run/$name.pid"))"
            else
                "start_$name"
                echo "$name is up (pid $(cat "$state/run/$name.pid"), log $state/run/$name.log)"
            fi
            ;;
        stop) stop_one "$name" ;;
        env) env_one "$name" ;;
        *) echo "usage: $0 install|start|stop|env [kinesis] [s3] [localstack]" >&2; exit 2 ;;
    esac
done
