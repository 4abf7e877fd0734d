#!/usr/bin/env bash
# `alarmlake bench --target localstack` against LocalStack 4.13.1 in host mode on 127.0.0.1:4566,
# started and stopped here (scripts/emulators.sh; no Docker needed). Extra arguments go to
# `alarmlake bench`, e.g.
#   scripts/bench-localstack.sh --shards 2 --rate 500 --duration 20s --out benches/results/localstack
# For LocalStack in Docker, start it yourself and run `alarmlake bench --target localstack`
# (or `--endpoint-url http://HOST:4566`) directly.
source "$(dirname "$0")/bench-common.sh"
prepare_bench
bash scripts/emulators.sh install localstack
bash scripts/emulators.sh start localstack
trap 'bash scripts/emulators.sh stop localstack' EXIT
run_bench --target localstack "$@"
