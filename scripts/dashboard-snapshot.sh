#!/usr/bin/env bash
# A screenshot of what packaging/grafana-dashboard.json shows for a real run: the consumer reads
# kinesis-mock under `loadgen` for a few minutes (killed with -9 and restarted half-way, so lag and
# catch-up are visible; a MODE bulk record every 500 events is a dead letter to a consumer
# without `--bulk`), Prometheus scrapes its /metrics every 2 s, and headless Chromium captures
# every dashboard panel's queries as Prometheus evaluates and draws them.
#
#   scripts/dashboard-snapshot.sh [OUT.png]        (default docs/dashboard.png)
#
# Grafana itself is not packaged for the registries this project builds from (crates.io, PyPI,
# npm, Debian), so each panel is drawn by Prometheus's own graph page: the queries are the
# dashboard's, word for word, with `$job` and `$instance` matching everything and each target
# labelled with its legend. Needs Debian's `prometheus` and `chromium` (installed here with
# apt-get when missing and run as root). Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-docs/dashboard.png}")"
seconds="${DASHBOARD_SECONDS:-240}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/alarmlake/target}"

for tool in prometheus chromium; do
    if ! command -v "$tool" >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$tool" fonts-dejavu-core >/dev/null
        else
            echo "dashboard-snapshot: needs $tool (apt-get install $tool)" >&2
            exit 2
        fi
    fi
done
cargo build --release --locked -p alarmlake
bin="$CARGO_TARGET_DIR/release/alarmlake"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash scripts/emulators.sh stop kinesis >/dev/null 2>&1 || true
    [ -n "${DASHBOARD_KEEP:-}" ] && echo "dashboard-snapshot: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
bash scripts/emulators.sh install kinesis >/dev/null
bash scripts/emulators.sh start kinesis
eval "$(bash scripts/emulators.sh env kinesis)"
# The emulator takes any keys; real ones are never sent to it, and nothing asks the metadata
# address of a cloud machine.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
unset AWS_PROFILE
endpoint="$ALARMLAKE_TEST_KINESIS_ENDPOINT"
metrics=127.0.0.1:9464
prometheus_addr=127.0.0.1:9465

cat >"$work/prometheus.yml" <<EOF
global: {scrape_interval: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: alarmlake
    static_configs: [{targets: ['$metrics']}]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="$prometheus_addr" >"$work/prometheus.log" 2>&1 &
pids+=($!)

consume() {
    "$bin" consume --stream dashboard --kinesis-endpoint "$endpoint" --lake "$work/lake" \
        --max-age-secs 5 --metrics-addr "$metrics" >>"$work/consume.log" 2>&1 &
    consumer=$!
    pids+=("$consumer")
}
"$bin" loadgen --stream dashboard --create --shards 4 --homes 2000 --rate 400 \
    --duration "${seconds}s" --format mixed --bulk-every 500 --endpoint-url "$endpoint" >"$work/loadgen.log" 2>&1 &
loadgen=$!
pids+=("$loadgen")
sleep 5
consume
sleep $((seconds / 2))
echo "dashboard-snapshot: kill -9 of the consumer, restarted in 20 s"
kill -9 "$consumer"
sleep 20
consume
wait "$loadgen"
# Until caught up: the lag falls to zero and the last records commit.
sleep 45

# One graph per panel: the panel's targets joined with `or`, each labelled with its legend. Each
# is captured on its own (Prometheus's page draws one graph reliably per headless load), then the
# eight are laid out as the dashboard's grid and captured once more.
python3 - "$prometheus_addr" "$work" <<'PY'
import html, json, sys, urllib.parse
address, work = sys.argv[1], sys.argv[2]
dashboard = json.load(open("packaging/grafana-dashboard.json"))
cells = []
with open(f"{work}/panels.txt", "w") as urls:
    for n, panel in enumerate(dashboard["panels"]):
        parts = []
        for target in panel["targets"]:
            expr = target["expr"].replace("$job", ".*").replace("$instance", ".*")
            legend = target.get("legendFormat", "")
            if legend and "{{" not in legend:
                expr = f'label_replace({expr}, "series", "{legend}", "", "")'
            parts.append(expr)
        query = {"g0.expr": " or ".join(parts), "g0.tab": "0", "g0.range_input": "6m"}
        urls.write(f"http://{address}/classic/graph?{urllib.parse.urlencode(query)}\n")
        cells.append(f'<section><h2>{html.escape(panel["title"])}</h2>'
                     f'<img src="panel-{n}.png"></section>')
open(f"{work}/page.html", "w").write(f"""<!doctype html><meta charset=utf-8>
<style>
body {{ margin: 10px; font-family: 'DejaVu Sans', sans-serif; background: #eef0f2; }}
h1 {{ font-size: 19px; margin: 0 0 8px; }}
main {{ display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }}
section {{ background: white; border: 1px solid #c8cdd2; }}
h2 {{ font-size: 15px; margin: 6px 8px 0; }}
img {{ display: block; width: 1000px; height: 540px; object-fit: none; object-position: 0 -328px;
       zoom: 0.68; }}
</style>
<h1>packaging/grafana-dashboard.json's queries, evaluated and drawn by Prometheus, over a run of the
consumer on 4 shards (killed with -9 and restarted half-way)</h1>
<main>{''.join(cells)}</main>""")
PY
shot() {
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --disable-default-apps --hide-scrollbars \
        --window-size="$1" --virtual-time-budget=8000 --screenshot="$2" "$3" \
        >>"$work/chromium.log" 2>&1 || true
}
n=0
while read -r url; do
    shot 1000,900 "$work/panel-$n.png" "$url"
    n=$((n + 1))
done <"$work/panels.txt"
shot 1400,1640 "$out" "file://$work/page.html"
if [ ! -s "$out" ]; then
    echo "dashboard-snapshot: Chromium wrote no screenshot:" >&2
    cat "$work/chromium.log" >&2
    exit 1
fi
echo "dashboard-snapshot: wrote $out"
grep -h "summary\|consumed" "$work/consume.log" | tail -2 || true
