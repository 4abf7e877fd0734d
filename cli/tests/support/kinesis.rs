//! Kinesis on the emulator for the consumer tests: a client, streams filled with records, and
//! the consumer as a child process.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use alarmlake_ingest::kinesis::https_client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};

use super::{credentials, tool};

/// The emulator's endpoint; `None` (skip) outside the test script, a failure in CI.
pub fn endpoint() -> Option<String> {
    tool("ALARMLAKE_TEST_KINESIS_ENDPOINT")
}

pub fn test_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
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

/// Puts `records` (retrying the ones a batch refuses); returns the (shard, sequence number)
/// Kinesis gave each.
pub async fn put_records(
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
    assert_eq!(positions.len(), records.len());
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
    credentials(&mut command)
        .args(["consume", "--stream", stream, "--lake", lake])
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
    let status = wait_with_timeout(&mut child, limit);
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
