//! `/healthz` and `/metrics` tell the truth: 503 while the lake cannot be written, 200 once it
//! can again, and no lag gauge for a shard this process no longer reads.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::fault_proxy::FaultProxy;
use support::kinesis::{
    client_in, consume_s3_command, endpoint, generated_records, put_records, put_stream, sigterm,
    wait_with_timeout,
};
use support::{
    KillOnDrop, POSITIONS_SQL, S3Lake, count_positions, http_get, run_ok, sql_csv, unique,
};

/// A port on 127.0.0.1 that is free now.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// The status code and body of `GET path`.
fn get(address: &str, path: &str) -> (u16, String) {
    let answer = http_get(address, path);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

/// Polls `check` every 200 ms until it gives `Some`, or fails after `limit` with `what`.
fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Whether the consumer serving `address` is up (its metrics endpoint answers).
fn serving(address: &str) -> bool {
    std::net::TcpStream::connect(address).is_ok()
}

#[test]
fn healthz_answers_503_while_the_lake_cannot_be_written_and_200_again_after() {
    let Some(kinesis) = endpoint() else { return };
    let Some(bucket) = S3Lake::create("health") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("health");
    let records = generated_records(4, 900);
    let (first, later) = records.split_at(600);
    let mut expected = runtime().block_on(put_stream(&kinesis, &stream, 2, first));
    let proxy = FaultProxy::start(bucket.endpoint.trim_start_matches("http://"), Vec::new());
    let metrics = free_address();
    let mut consumer = KillOnDrop(
        consume_s3_command(
            &kinesis,
            &proxy.url,
            &stream,
            &bucket.url(),
            &["--max-age-secs", "1", "--metrics-addr", &metrics],
        )
        .stderr(std::fs::File::create(dir.path().join("consumer.log")).unwrap())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap(),
    );
    let log = || std::fs::read_to_string(dir.path().join("consumer.log")).unwrap_or_default();

    // Records committed so far: the latency histogram observes each record once, at its commit.
    let durable = || {
        get(&metrics, "/metrics")
            .1
            .lines()
            .find_map(|l| l.strip_prefix("alarmlake_event_to_durable_seconds_count "))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    // Healthy once it runs and has committed what the stream held.
    wait_for(
        Duration::from_secs(60),
        "the first records were never committed",
        || (serving(&metrics) && durable() == 600).then_some(()),
    );
    assert_eq!(get(&metrics, "/healthz"), (200, "ok\n".to_string()));
    // Every series the shipped Grafana dashboard asks for is one this consumer serves.
    let served = served_metrics(&get(&metrics, "/metrics").1);
    let asked = dashboard_metrics();
    assert!(asked.len() >= 10, "{asked:?}");
    let missing: Vec<_> = asked.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "the dashboard asks for {missing:?}, not served"
    );

    // The store goes down while records arrive: 503, with the reason.
    proxy.set_down(true);
    expected.extend(runtime().block_on(put_records(
        &client_in(&kinesis, "us-east-1"),
        &stream,
        later,
    )));
    let reason = wait_for(Duration::from_secs(90), "healthz never turned 503", || {
        let (status, body) = get(&metrics, "/healthz");
        (status == 503).then_some(body)
    });
    assert!(reason.contains("lake writes have failed for"), "{reason}");

    // Back up: the records are committed and healthz turns 200 again.
    proxy.set_down(false);
    wait_for(
        Duration::from_secs(150),
        "healthz never turned 200 again",
        || (get(&metrics, "/healthz").0 == 200).then_some(()),
    );
    // A reader that failed restarts after a backoff; a stop before then would leave its
    // records in the stream for the next run, which is right, but not what this test checks.
    wait_for(
        Duration::from_secs(150),
        "the later records were never committed",
        || (durable() == 900).then_some(()),
    );
    sigterm(&consumer.0);
    assert!(
        wait_with_timeout(&mut consumer.0, Duration::from_secs(60)).success(),
        "{}",
        log()
    );
    let local = dir.path().join("lake");
    bucket.download(&local);
    let found = count_positions(&run_ok(&mut sql_csv(&local, POSITIONS_SQL)).stdout);
    assert!(found.values().all(|n| *n == 1), "a position twice");
    let found: BTreeSet<_> = found.into_keys().collect();
    assert_eq!(found, expected, "the lake is not the stream");
}

/// The metric names of a Prometheus text exposition.
fn served_metrics(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// The metric names the queries of `packaging/grafana-dashboard.json` use; every panel must
/// have a query and a title.
fn dashboard_metrics() -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/grafana-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut names = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert!(panel["title"].as_str().is_some_and(|t| !t.is_empty()));
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{panel}");
        for target in targets {
            let expr = target["expr"].as_str().unwrap();
            let mut rest = expr;
            while let Some(at) = rest.find(|c: char| c.is_ascii_lowercase()) {
                let word: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if word.starts_with("alarmlake_") || word.starts_with("process_") {
                    names.insert(word.clone());
                }
                rest = &rest[at + word.len().max(1)..];
            }
        }
    }
    names
}

/// The shards whose lag `/metrics` reports.
fn lag_gauges(metrics: &str) -> BTreeSet<String> {
    get(metrics, "/metrics")
        .1
        .lines()
        .filter_map(|l| l.strip_prefix("alarmlake_millis_behind_latest{shard=\""))
        .filter_map(|rest| rest.split_once('"').map(|(shard, _)| shard.to_string()))
        .collect()
}

/// The shards whose last word in `log` is that they were handed to another worker.
fn handed_away(log: &str) -> BTreeSet<String> {
    let mut handed = BTreeSet::new();
    for line in log.lines() {
        let Some(shard) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("shard="))
            .map(str::to_string)
        else {
            continue;
        };
        if line.contains("handing the shard to another worker") {
            handed.insert(shard);
        } else if line.contains("reading shard") {
            handed.remove(&shard);
        }
    }
    handed
}

#[test]
fn lag_gauges_leave_with_the_shards_handed_to_another_worker() {
    let Some(kinesis) = endpoint() else { return };
    let Some(bucket) = S3Lake::create("gauges") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("gauges");
    runtime().block_on(put_stream(&kinesis, &stream, 4, &generated_records(8, 400)));
    let metrics = free_address();
    let worker = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "--worker-id",
            name,
            "--lease-secs",
            "4",
            "--discovery-secs",
            "1",
            "--max-age-secs",
            "1",
        ];
        args.extend_from_slice(extra);
        consume_s3_command(&kinesis, &bucket.endpoint, &stream, &bucket.url(), &args)
            .stderr(std::fs::File::create(dir.path().join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap()
    };
    let log = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap_or_default()
    };
    let mut a = worker("a", &["--metrics-addr", &metrics]);
    // Alone, a reads all four shards, and reports the lag of each.
    wait_for(
        Duration::from_secs(60),
        "a never reported four lags",
        || (serving(&metrics) && lag_gauges(&metrics).len() == 4).then_some(()),
    );
    let mut b = worker("b", &[]);
    // b joins: a hands it a share, and a's lag gauges for those shards go.
    let (handed, gauges) = wait_for(
        Duration::from_secs(60),
        "a kept lag gauges for shards it handed away",
        || {
            let handed = handed_away(&log("a"));
            let gauges = lag_gauges(&metrics);
            (!handed.is_empty() && gauges.is_disjoint(&handed)).then_some((handed, gauges))
        },
    );
    assert!(!gauges.is_empty(), "a reads no shard: {}", log("a"));
    assert_eq!(gauges.len() + handed.len(), 4, "{gauges:?} {handed:?}");
    for child in [&mut a, &mut b] {
        sigterm(child);
        assert!(wait_with_timeout(child, Duration::from_secs(60)).success());
    }
}
