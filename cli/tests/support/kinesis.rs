//! Kinesis on the emulator for the consumer tests: a client, streams filled with records, and
//! the consumer as a child process.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use alarmlake_ingest::kinesis::https_client;
use alarmlake_loadtest::generator::{Format, Generator, GeneratorConfig};
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use chrono::{DateTime, Utc};

use super::{credentials, tool};

/// The emulator's endpoint; `None` (skip) outside the test script, a failure in CI.
pub fn endpoint() -> Option<String> {
    tool("ALARMLAKE_TEST_KINESIS_ENDPOINT")
}

pub fn test_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    client_in(endpoint, "us-east-1")
}

/// A client of the emulator in `region` (kinesis-mock keeps each region's streams apart).
pub fn client_in(endpoint: &str, region: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

pub async fn wait_active(client: &aws_sdk_kinesis::Client, stream: &str) {
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
            return;
        }
        assert!(Instant::now() < deadline, "stream never became active");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many records go in batches before the rest go one by one. kinesis-mock 0.6 hashes a
/// shard's whole record vector for every entry of a PutRecords batch, so a batch costs in
/// proportion to the shard's size and filling a stream costs its square: 200,000 records took
/// over an hour. A single PutRecord appends at a constant cost (about 4 ms, measured with
/// boto3 on 8 shards from 0 to 30,000 records), so big fills switch to it.
const BATCHED_RECORDS: usize = 20_000;

/// Single puts in flight at once, for the records past [`BATCHED_RECORDS`].
const SINGLE_PUTS_IN_FLIGHT: usize = 16;

/// Puts `records` (retrying the ones a batch refuses); returns the (shard, sequence number)
/// Kinesis gave each.
pub async fn put_records(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: &[(String, Vec<u8>)],
) -> BTreeSet<(String, String)> {
    let split = records.len().min(BATCHED_RECORDS);
    let mut positions = put_batches(client, stream, &records[..split]).await;
    positions.extend(put_one_by_one(client, stream, &records[split..]).await);
    assert_eq!(positions.len(), records.len());
    positions
}

async fn put_batches(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: &[(String, Vec<u8>)],
) -> BTreeSet<(String, String)> {
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
    positions
}

/// PutRecord for each record, [`SINGLE_PUTS_IN_FLIGHT`] at a time; a refused put (throttled)
/// is retried a few times before the fill fails.
async fn put_one_by_one(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: &[(String, Vec<u8>)],
) -> BTreeSet<(String, String)> {
    if records.is_empty() {
        return BTreeSet::new();
    }
    let per_task = records.len().div_ceil(SINGLE_PUTS_IN_FLIGHT);
    let mut tasks = tokio::task::JoinSet::new();
    for slice in records.chunks(per_task) {
        let (client, stream, slice) = (client.clone(), stream.to_string(), slice.to_vec());
        tasks.spawn(async move {
            let mut positions = Vec::with_capacity(slice.len());
            for (key, data) in slice {
                let mut attempt = 0;
                let answer = loop {
                    let put = client
                        .put_record()
                        .stream_name(&stream)
                        .partition_key(&key)
                        .data(Blob::new(data.clone()))
                        .send()
                        .await;
                    match put {
                        Ok(answer) => break answer,
                        Err(error) if attempt < 10 => {
                            attempt += 1;
                            eprintln!("put_record retry {attempt}: {error:?}");
                            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        }
                        Err(error) => panic!("put_record failed: {error:?}"),
                    }
                };
                positions.push((
                    answer.shard_id().to_string(),
                    answer.sequence_number().to_string(),
                ));
            }
            positions
        });
    }
    let mut positions = BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        positions.extend(done.unwrap());
    }
    positions
}

/// Creates a stream of `shards` shards and puts `records` into it.
pub async fn put_stream(
    endpoint: &str,
    stream: &str,
    shards: i32,
    records: &[(String, Vec<u8>)],
) -> BTreeSet<(String, String)> {
    let client = test_client(endpoint);
    client
        .create_stream()
        .stream_name(stream)
        .shard_count(shards)
        .send()
        .await
        .unwrap();
    wait_active(&client, stream).await;
    put_records(&client, stream, records).await
}

/// `alarmlake consume` of `stream` into `lake`, with the emulators' credentials; `endpoints` names
/// where Kinesis (and S3) are, `extra` adds flags.
fn consume(stream: &str, lake: &str, endpoints: &[&str], extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    // The generated events are from 2024, so every row is late (`late_rows.rs`): a short hold
    // writes them a flush or two later, so that tests see commits while they run, and crash
    // tests still find late hours held in the checkpoints they recover from.
    credentials(&mut command)
        .args([
            "consume",
            "--stream",
            stream,
            "--lake",
            lake,
            "--late-hold",
            "2s",
        ])
        .args(endpoints)
        .args(extra);
    command
}

/// `alarmlake consume` into the local lake `lake`, logging at info.
pub fn consume_command(endpoint: &str, stream: &str, lake: &Path, extra: &[&str]) -> Command {
    let lake = lake.to_str().unwrap();
    let mut command = consume(stream, lake, &["--endpoint-url", endpoint], extra);
    command.env("RUST_LOG", "info");
    command
}

/// `alarmlake consume` of `stream` into the S3 lake `lake_url`, with Kinesis at `kinesis` and S3
/// at `s3` (either may be a fault proxy in front of the emulator).
pub fn consume_s3_command(
    kinesis: &str,
    s3: &str,
    stream: &str,
    lake_url: &str,
    extra: &[&str],
) -> Command {
    let endpoints = ["--kinesis-endpoint", kinesis, "--s3-endpoint", s3];
    consume(stream, lake_url, &endpoints, extra)
}

/// Runs `command` with its standard error in `log` and kills it (SIGKILL) once `wait` (given
/// the child's pid, to vary the moment) has passed, if it is still running; returns whether it
/// was killed.
pub fn kill_after(command: &mut Command, log: &Path, wait: impl FnOnce(u32) -> Duration) -> bool {
    let mut child = command
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(wait(child.id()));
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    killed
}

pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `command` to its end, which must come within `limit`; its status and standard error.
pub fn status_and_log(
    command: &mut Command,
    limit: Duration,
) -> (std::process::ExitStatus, String) {
    let mut child = command
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_and_log(&mut child, limit)
}

/// Waits for `child` (spawned with its standard error piped) to end within `limit`; its status
/// and standard error.
pub fn wait_and_log(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let status = wait_with_timeout(child, limit);
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    (status, log)
}

pub fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut log = String::new();
            if let Some(stderr) = child.stderr.as_mut() {
                let _ = std::io::Read::read_to_string(stderr, &mut log);
            }
            panic!("the consumer did not exit within {limit:?}; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Generated lines (mixed panels, MODE hubs and cameras) with their site as partition key.
pub fn generated_records(homes: usize, count: usize) -> Vec<(String, Vec<u8>)> {
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
    // Counted as they come: counting the text's lines each turn made 200,000 records (the
    // kill benchmark) take longer than the run itself.
    let mut made = 0;
    while made < count {
        match generator.next_lines(&mut text) {
            0 => break,
            added => made += added,
        }
    }
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
