//! `alarmlake consume` against kinesis-mock (started by scripts/emulators.sh): every record put
//! into the stream is in the lake exactly once, after a clean run, a graceful restart, and
//! repeated kill -9. Positions are compared one by one, not just counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alarmlake_benches::generator::{Format, Generator, GeneratorConfig};
use alarmlake_ingest::kinesis::https_client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use chrono::{DateTime, Utc};

/// The emulator's endpoint; `None` (skip) outside the test script, a failure in CI.
fn endpoint() -> Option<String> {
    match std::env::var("ALARMLAKE_TEST_KINESIS_ENDPOINT") {
        Ok(endpoint) => Some(endpoint),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("ALARMLAKE_TEST_KINESIS_ENDPOINT is not set: run scripts/test.sh")
        }
        Err(_) => {
            eprintln!("skipped: no Kinesis emulator (run scripts/test.sh)");
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A stream name no other test (or earlier run against the same emulator) uses.
fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

fn credentials(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
}

/// Generated lines (mixed panels, MODE hubs and cameras) with their site as partition key.
fn lines(homes: usize, count: usize) -> Vec<(String, Vec<u8>)> {
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut generator = Generator::new(&GeneratorConfig {
        homes,
        days: 30,
        seed: 11,
        format: Format::Mixed,
        start,
    });
    let mut text = String::new();
    while text.lines().count() < count && generator.next_lines(&mut text) > 0 {}
    text.lines()
        .take(count)
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let site = value
                .get("site")
                .or_else(|| value.get("homeId"))
                .map(|v| v.to_string().trim_matches('"').to_string())
                .unwrap_or_else(|| "cameras".into());
            (site, line.as_bytes().to_vec())
        })
        .collect()
}

/// Creates a stream and puts `records`; returns every (shard, sequence number) Kinesis assigned.
async fn put_stream(
    endpoint: &str,
    stream: &str,
    shards: i32,
    records: &[(String, Vec<u8>)],
) -> BTreeSet<(String, String)> {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    let client = &aws_sdk_kinesis::Client::from_conf(config);
    client
        .create_stream()
        .stream_name(stream)
        .shard_count(shards)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .unwrap();
        let status = summary
            .stream_description_summary()
            .map(|s| s.stream_status().clone());
        if status == Some(StreamStatus::Active) {
            break;
        }
        assert!(Instant::now() < deadline, "stream never became active");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut positions = BTreeSet::new();
    for chunk in records.chunks(500) {
        let mut pending: Vec<&(String, Vec<u8>)> = chunk.iter().collect();
        while !pending.is_empty() {
            let entries: Vec<PutRecordsRequestEntry> = pending
                .iter()
                .map(|(key, data)| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(key)
                        .data(Blob::new(data.clone()))
                        .build()
                        .unwrap()
                })
                .collect();
            let answer = client
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
                .unwrap();
            let mut retry = Vec::new();
            for (record, result) in pending.iter().zip(answer.records()) {
                match (result.shard_id(), result.sequence_number()) {
                    (Some(shard), Some(sequence)) => {
                        positions.insert((shard.to_string(), sequence.to_string()));
                    }
                    _ => retry.push(*record),
                }
            }
            pending = retry;
        }
    }
    assert_eq!(positions.len(), records.len());
    positions
}

fn consume_command(endpoint: &str, stream: &str, lake: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command).args([
        "consume",
        "--stream",
        stream,
        "--endpoint-url",
        endpoint,
        "--lake",
        lake.to_str().unwrap(),
    ]);
    command.args(extra).env("RUST_LOG", "info");
    command
}

fn run_ok(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every (shard, sequence number) in the lake, with how often it appears.
fn lake_positions(lake: &Path) -> BTreeMap<(String, String), usize> {
    let sql = "SELECT shard_id, sequence_number FROM alarm_events \
               UNION ALL SELECT shard_id, sequence_number FROM mode_events \
               UNION ALL SELECT shard_id, sequence_number FROM camera_media \
               UNION ALL SELECT shard_id, sequence_number FROM dead_letters";
    let output = run_ok(Command::new(env!("CARGO_BIN_EXE_alarmlake")).args([
        "sql",
        "--lake",
        lake.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        sql,
    ]));
    let mut positions = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines().skip(1) {
        let (shard, sequence) = line.split_once(',').unwrap();
        *positions
            .entry((shard.to_string(), sequence.to_string()))
            .or_insert(0) += 1;
    }
    positions
}

/// The lake holds exactly `expected`: nothing missing, nothing twice, nothing else.
fn assert_exactly_once(lake: &Path, expected: &BTreeSet<(String, String)>) {
    let found = lake_positions(lake);
    let doubled: Vec<_> = found.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(doubled.is_empty(), "duplicated positions: {doubled:?}");
    let missing: Vec<_> = expected
        .iter()
        .filter(|p| !found.contains_key(*p))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} positions missing, e.g. {missing:?}",
        expected.iter().filter(|p| !found.contains_key(*p)).count(),
        expected.len()
    );
    assert_eq!(found.len(), expected.len(), "positions that were never put");
}

/// The committed sequence number of every shard, from the local checkpoint files.
fn checkpoints(lake: &Path, stream: &str) -> BTreeMap<String, serde_json::Value> {
    let dir = lake.join("_alarmlake/checkpoints/alarmlake").join(stream);
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let value: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            found.insert(
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                value,
            );
        }
    }
    found
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the consumer did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_clean_run_puts_every_record_in_the_lake_once() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("clean");
    let records = lines(6, 5_000);
    let expected = runtime().block_on(put_stream(&endpoint, &stream, 4, &records));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let output = run_ok(&mut consume_command(
        &endpoint,
        &stream,
        &lake,
        &["--drain"],
    ));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("consumed 5000 records from 4 shards"), "{log}");
    assert_exactly_once(&lake, &expected);

    // DuckDB reads the same files and counts the same rows.
    if let Ok(python) = std::env::var("ALARMLAKE_TEST_PYTHON") {
        let counts = run_ok(Command::new(python).args([
            &format!("{}/../scripts/lake_check.py", env!("CARGO_MANIFEST_DIR")),
            "counts",
            lake.to_str().unwrap(),
        ]));
        let counts: serde_json::Value = serde_json::from_slice(&counts.stdout).unwrap();
        let total: u64 = counts["counts"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|partitions| partitions.as_object().unwrap().values())
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(total, 5_000, "{counts}");
    }
    // Every shard's checkpoint is at its last record.
    let committed = checkpoints(&lake, &stream);
    assert_eq!(committed.len(), 4);
    for (shard, checkpoint) in committed {
        let last = expected
            .iter()
            .filter(|(s, _)| *s == shard)
            .map(|(_, q)| q.clone())
            .max_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        assert_eq!(checkpoint["sequence_number"].as_str(), last.as_deref());
        assert!(checkpoint["intent"].is_null());
    }
}

#[test]
fn a_restart_after_sigterm_neither_loses_nor_doubles() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("restart");
    let records = lines(6, 4_000);
    let expected = runtime().block_on(put_stream(&endpoint, &stream, 2, &records));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    // Commit every second, stop after the first commits, then finish with a second run.
    let mut child = consume_command(&endpoint, &stream, &lake, &["--max-age-secs", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lake
        .join("_alarmlake/checkpoints/alarmlake")
        .join(&stream)
        .exists()
        || checkpoints(&lake, &stream)
            .values()
            .all(|c| c["sequence_number"].is_null())
    {
        assert!(Instant::now() < deadline, "no commit within a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
    sigterm(&child);
    let status = wait_with_timeout(&mut child, Duration::from_secs(60));
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    // After a graceful stop, each checkpoint is exactly the last position in the lake.
    let found = lake_positions(&lake);
    for (shard, checkpoint) in checkpoints(&lake, &stream) {
        assert!(checkpoint["intent"].is_null(), "no batch left open");
        let last_in_lake = found
            .keys()
            .filter(|(s, _)| *s == shard)
            .map(|(_, q)| q.clone())
            .max_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        assert_eq!(
            checkpoint["sequence_number"].as_str(),
            last_in_lake.as_deref()
        );
    }
    run_ok(&mut consume_command(
        &endpoint,
        &stream,
        &lake,
        &["--drain"],
    ));
    assert_exactly_once(&lake, &expected);
}

#[test]
fn kill_9_at_random_points_then_restart_is_exactly_once() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("kill9");
    let records = lines(8, 6_000);
    let expected = runtime().block_on(put_stream(&endpoint, &stream, 4, &records));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    // Small reads and a commit after each (tiny target size), so that the run takes several
    // seconds and kills land between intent, files and commit. The read size changes from
    // round to round, so a batch read again after a kill ends elsewhere and its files get other
    // names: only the recovery's deletes keep them from doubling rows.
    let mut kills = 0;
    let mut recoveries = 0;
    for round in 0..6u64 {
        let log = dir.path().join(format!("round-{round}.log"));
        let per_call = (30 + round * 11).to_string();
        let args = [
            "--max-age-secs",
            "1",
            "--target-mb",
            "0",
            "--max-records-per-call",
            &per_call,
        ];
        let mut command = consume_command(&endpoint, &stream, &lake, &args);
        if round % 2 == 1 {
            // Odd rounds hold each batch between its files and its commit: a kill there leaves
            // files the checkpoint does not cover, which the restart must delete.
            command.env("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS", "400");
        }
        let mut child = command
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // A different moment in each round: between 0.6 and 2.6 s.
        let wait = 600 + (round * 7919 + u64::from(child.id()) * 31) % 2000;
        std::thread::sleep(Duration::from_millis(wait));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        recoveries += std::fs::read_to_string(&log)
            .unwrap()
            .matches("interrupted before its commit")
            .count();
    }
    assert!(kills >= 5, "the consumer was killed {kills} times");
    let open = checkpoints(&lake, &stream)
        .values()
        .filter(|c| !c["intent"].is_null())
        .count();
    assert!(
        recoveries + open > 0,
        "some kill landed inside a batch (recovered {recoveries}, open {open})"
    );
    eprintln!("{kills} kills; {recoveries} interrupted batches recovered, {open} open at the end");
    run_ok(&mut consume_command(
        &endpoint,
        &stream,
        &lake,
        &["--drain"],
    ));
    assert_exactly_once(&lake, &expected);
}
