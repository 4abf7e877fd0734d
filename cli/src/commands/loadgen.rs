//! `alarmlake loadgen`: the generator's events into a Kinesis stream, as fast as the stream takes
//! them. PutRecords in batches of up to 500 records (and 5 MB); records a batch refuses
//! (throttling) are retried with backoff, and only those. The partition key is the site, so
//! each home keeps its order.
//!
//! This first version sends as fast as it can; rate control, per-shard limits and KPL
//! aggregation come with the benchmark harness.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use alarmlake_benches::generator::{Generator, GeneratorConfig};
use alarmlake_ingest::backoff::Backoff;
use alarmlake_ingest::kinesis::{Kinesis, KinesisError, KinesisOptions};
use anyhow::{Context, Result, bail};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use chrono::{DateTime, Utc};
use clap::Args;
use futures::StreamExt;

use super::generate::FormatArg;

/// PutRecords limits.
const MAX_RECORDS: usize = 500;
const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Args, Debug)]
pub struct LoadgenArgs {
    /// The stream to write to.
    #[arg(long, env = "ALARMLAKE_STREAM")]
    stream: String,
    /// Create the stream first (with --shards shards).
    #[arg(long)]
    create: bool,
    #[arg(long, default_value_t = 4)]
    shards: i32,
    #[arg(long, default_value_t = 10)]
    homes: usize,
    /// Days simulated (the generator stops at --count lines or the end of these days).
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Lines to send.
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    #[arg(long, value_enum, default_value_t = FormatArg::Mixed)]
    format: FormatArg,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First simulated day, in UTC (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    start: String,
    /// PutRecords calls in flight.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    #[arg(long, env = "AWS_REGION")]
    region: Option<String>,
}

/// The site of a generated line: the relay's `site` or MODE's `homeId`, else "unknown".
fn partition_key(line: &str) -> String {
    for field in ["\"site\": \"", "\"site\":\"", "\"homeId\": ", "\"homeId\":"] {
        if let Some(rest) = line.split(field).nth(1) {
            let value: String = rest
                .trim_start_matches('"')
                .chars()
                .take_while(|c| *c != '"' && *c != ',' && *c != '}')
                .collect();
            if !value.is_empty() {
                return value.trim().to_string();
            }
        }
    }
    "unknown".to_string()
}

pub fn run(args: LoadgenArgs) -> Result<ExitCode> {
    let start = DateTime::parse_from_rfc3339(&args.start)
        .with_context(|| format!("--start {:?} is not an RFC 3339 time", args.start))?
        .with_timezone(&Utc);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let kinesis = Kinesis::connect(
            &args.stream,
            &KinesisOptions {
                endpoint_url: args.endpoint_url.clone(),
                region: args.region.clone(),
                attempt_timeout: None,
            },
        )
        .await;
        if args.create {
            create(&kinesis, args.shards).await?;
        }
        let config = GeneratorConfig {
            homes: args.homes,
            days: args.days,
            seed: args.seed,
            format: args.format.into(),
            start,
        };
        let started = Instant::now();
        let batches = batches(&config, args.count);
        let sent: Vec<Result<(u64, u64)>> = futures::stream::iter(batches)
            .map(|batch| put(&kinesis, batch))
            .buffer_unordered(args.concurrency.max(1))
            .collect()
            .await;
        let mut records = 0;
        let mut retried = 0;
        for result in sent {
            let (n, r) = result?;
            records += n;
            retried += r;
        }
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "put {records} records into {} in {seconds:.1} s ({:.0} records/s); {retried} retried after throttling",
            args.stream,
            records as f64 / seconds.max(1e-9)
        );
        Ok(ExitCode::SUCCESS)
    })
}

async fn create(kinesis: &Kinesis, shards: i32) -> Result<()> {
    let client = kinesis.client();
    client
        .create_stream()
        .stream_name(kinesis.stream())
        .shard_count(shards)
        .send()
        .await
        .map_err(|e| KinesisError::from_sdk("CreateStream", e))?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(kinesis.stream())
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("DescribeStreamSummary", e))?;
        if summary
            .stream_description_summary()
            .is_some_and(|s| *s.stream_status() == StreamStatus::Active)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("stream {} did not become active", kinesis.stream());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The generator's lines cut into PutRecords batches of (partition key, data).
fn batches(config: &GeneratorConfig, count: u64) -> Vec<Vec<(String, Vec<u8>)>> {
    let mut generator = Generator::new(config);
    let mut all = Vec::new();
    let mut batch: Vec<(String, Vec<u8>)> = Vec::new();
    let mut bytes = 0;
    let mut text = String::new();
    let mut produced = 0u64;
    while produced < count {
        text.clear();
        if generator.next_lines(&mut text) == 0 {
            break;
        }
        for line in text.lines() {
            if produced == count {
                break;
            }
            produced += 1;
            let key = partition_key(line);
            let size = line.len() + key.len();
            if batch.len() == MAX_RECORDS || bytes + size > MAX_BYTES {
                all.push(std::mem::take(&mut batch));
                bytes = 0;
            }
            bytes += size;
            batch.push((key, line.as_bytes().to_vec()));
        }
    }
    if !batch.is_empty() {
        all.push(batch);
    }
    all
}

/// Sends one batch; records the stream refuses are sent again after a backoff. Returns
/// (records put, records retried).
async fn put(kinesis: &Kinesis, batch: Vec<(String, Vec<u8>)>) -> Result<(u64, u64)> {
    let mut pending = batch;
    let mut retried = 0u64;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let total = pending.len() as u64;
    while !pending.is_empty() {
        let entries = pending
            .iter()
            .map(|(key, data)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(key)
                    .data(Blob::new(data.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .context("cannot build a PutRecords entry")?;
        let answer = match kinesis
            .client()
            .put_records()
            .stream_name(kinesis.stream())
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                let error = KinesisError::from_sdk("PutRecords", e);
                if !error.retryable() {
                    return Err(error.into());
                }
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let failed: Vec<(String, Vec<u8>)> = pending
            .into_iter()
            .zip(answer.records())
            .filter(|(_, result)| result.error_code().is_some())
            .map(|(record, _)| record)
            .collect();
        if !failed.is_empty() {
            retried += failed.len() as u64;
            tokio::time::sleep(backoff.next_delay()).await;
        }
        pending = failed;
    }
    Ok((total, retried))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_key_is_the_site() {
        assert_eq!(
            partition_key(r#"{"ready": true, "site": "home-0003"}"#),
            "home-0003"
        );
        assert_eq!(
            partition_key(r#"{"homeId": 1002, "eventType": "heartbeat"}"#),
            "1002"
        );
        assert_eq!(
            partition_key("[00000001...],008,[f70000...],\"DISARMED\""),
            "unknown"
        );
    }
}
