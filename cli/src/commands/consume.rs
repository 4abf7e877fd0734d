//! `alarmlake consume`: the long-running Kinesis consumer, exactly-once into the lake.
//!
//! Every setting comes from a flag, else its environment variable, else the TOML file given
//! with `--config` (same names, with `_` for `-`), else its default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use alarmlake_aws::AwsSettings;
use alarmlake_ingest::kinesis::KinesisOptions;
use alarmlake_ingest::{
    CheckLine, CheckStatus, ConsumeSummary, Consumer, ConsumerConfig, EfoOptions, KinesisSource,
    LeaseOptions, Source, UPKEEP_GRACE, Upkeep, cpu_note,
};
use alarmlake_schemas::Decoder;
use alarmlake_transform::WriterConfig;
use alarmlake_transform::compaction::CompactionConfig;
use alarmlake_transform::late_rows::LateRule;
use alarmlake_transform::{maintenance, retention};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde::Deserialize;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::decoder_args::{Bulk, DecoderArgs};
use crate::duration_arg;

#[derive(Args, Debug)]
pub struct ConsumeArgs {
    /// The Kinesis stream to read.
    #[arg(long, env = "ALARMLAKE_STREAM")]
    stream: Option<String>,
    /// Read raw AlarmDecoder lines from a ser2sock server instead: tcp://HOST:PORT.
    #[arg(long, env = "ALARMLAKE_SOURCE", conflicts_with = "stream")]
    source: Option<String>,
    /// The lake: a folder, or s3://bucket/prefix [default: ./lake].
    #[arg(long, env = "ALARMLAKE_LAKE")]
    lake: Option<String>,
    /// Where checkpoints live: a folder or s3://bucket/prefix [default: <lake>/_alarmlake/checkpoints].
    #[arg(long, env = "ALARMLAKE_CHECKPOINTS")]
    checkpoints: Option<String>,
    /// The application name; consumers with the same name share the stream's shards [default: alarmlake].
    #[arg(long, env = "ALARMLAKE_APP")]
    app: Option<String>,
    /// Where shards without a checkpoint start: trim-horizon, latest or at-timestamp:RFC3339
    /// [default: trim-horizon].
    #[arg(long, env = "ALARMLAKE_START")]
    start: Option<String>,
    /// Endpoint for both Kinesis and S3 (LocalStack); the AWS CLI's AWS_ENDPOINT_URL works too.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    /// Kinesis endpoint, when it differs from S3's.
    #[arg(long, env = "ALARMLAKE_KINESIS_ENDPOINT")]
    kinesis_endpoint: Option<String>,
    /// S3 endpoint, when it differs from Kinesis's.
    #[arg(long, env = "ALARMLAKE_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// AWS region for Kinesis and S3 [default: the config file's, AWS_REGION, the profile's].
    #[arg(long)]
    region: Option<String>,
    /// AWS profile for Kinesis and S3 [default: the config file's, AWS_PROFILE, `default`].
    #[arg(long)]
    profile: Option<String>,
    /// This worker's name among the consumers of --app [default: the host name].
    #[arg(long, env = "ALARMLAKE_WORKER_ID")]
    worker_id: Option<String>,
    /// Seconds a shard lease lasts without renewal; a dead worker's shards move after this [default: 30].
    #[arg(long, env = "ALARMLAKE_LEASE_SECS")]
    lease_secs: Option<u64>,
    /// Seconds between shard listings, heartbeats and rebalancing [default: 10].
    #[arg(long, env = "ALARMLAKE_DISCOVERY_SECS")]
    discovery_secs: Option<u64>,
    /// Seconds one Kinesis call may take before it is retried [default: 30].
    #[arg(long, env = "ALARMLAKE_KINESIS_TIMEOUT_SECS")]
    kinesis_timeout_secs: Option<u64>,
    /// Serve Prometheus metrics (/metrics, /healthz) here, e.g. 127.0.0.1:9100.
    #[arg(long, env = "ALARMLAKE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Seconds a shard buffers before it writes and commits [default: 60].
    #[arg(long, env = "ALARMLAKE_MAX_AGE_SECS")]
    max_age_secs: Option<u64>,
    /// Buffered megabytes of one shard after which it writes and commits [default: 128].
    #[arg(long, env = "ALARMLAKE_TARGET_MB")]
    target_mb: Option<usize>,
    /// Megabytes of records all shards together may buffer before writing [default: 128].
    #[arg(long, env = "ALARMLAKE_MAX_BUFFER_MB")]
    max_buffer_mb: Option<usize>,
    /// Rows whose hour ended this long before their record arrived are late: each shard holds
    /// them per hour across flushes and writes an hour as one bigger file: 1h, 6h, or off
    /// [default: 1h].
    #[arg(long, env = "ALARMLAKE_LATE_AFTER")]
    late_after: Option<String>,
    /// The longest a late hour is held before it is written (it is written sooner when it
    /// reaches --target-mb, or when the buffers are full): 30m [default: 30m].
    #[arg(long, env = "ALARMLAKE_LATE_HOLD")]
    late_hold: Option<String>,
    /// Records asked for per GetRecords call (1 to 10000) [default: 10000].
    #[arg(long, env = "ALARMLAKE_MAX_RECORDS_PER_CALL", value_parser = clap::value_parser!(i32).range(1..=10_000))]
    max_records_per_call: Option<i32>,
    /// Threads that read shards and decode records; Parquet encoding and file writes run on
    /// other threads as needed. One thread decodes a few hundred thousand records a second
    /// [default: 1].
    #[arg(long, env = "ALARMLAKE_THREADS", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    /// Compact the lake's closed hours this often, in the background: 1h, 30m [default: never].
    #[arg(long, env = "ALARMLAKE_COMPACT_EVERY")]
    compact_every: Option<String>,
    /// Scheduled compaction merges hours that ended at least this long ago [default: 2h].
    #[arg(long, env = "ALARMLAKE_COMPACT_OLDER_THAN")]
    compact_older_than: Option<String>,
    /// Size of the files scheduled compaction writes, in MB; merging needs several times this
    /// much memory [default: 64].
    #[arg(long, env = "ALARMLAKE_COMPACT_TARGET_MB")]
    compact_target_mb: Option<u64>,
    /// Delete hour partitions older than this, checked every hour: 30d, 12w [default: keep all].
    #[arg(long, env = "ALARMLAKE_RETAIN")]
    retain: Option<String>,
    /// The scheduled daily vacuum deletes files unreferenced for longer than this (at least 1h)
    /// [default: 7d].
    #[arg(long, env = "ALARMLAKE_VACUUM_RETAIN")]
    vacuum_retain: Option<String>,
    /// Read with enhanced fan-out (SubscribeToShard) as the stream consumer NAME: registered
    /// if new, reused if it exists (or give its ARN), with its own 2 MB/s per shard.
    #[arg(long, env = "ALARMLAKE_EFO", value_name = "NAME")]
    efo: Option<String>,
    /// Deregister the --efo consumer when the consumer exits cleanly.
    #[arg(long)]
    efo_deregister: bool,
    /// Exit once every shard is caught up (or finished) and committed, instead of waiting for more.
    #[arg(long)]
    drain: bool,
    /// Check the settings, the stream, the lake and the permissions, print the plan, and exit
    /// (0 if the consumer would run, 2 if not).
    #[arg(long)]
    check: bool,
    /// Benchmark baseline: read the shards and count, without decoding, writing or committing.
    #[arg(long, hide = true)]
    bench_read_only: bool,
    /// A TOML file with any of these settings.
    #[arg(long, env = "ALARMLAKE_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    decoder: DecoderArgs,
}

/// The `--config` file: the same settings as the flags (`packaging/alarmlake.example.toml`
/// documents each one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    stream: Option<String>,
    source: Option<String>,
    lake: Option<String>,
    checkpoints: Option<String>,
    app: Option<String>,
    start: Option<String>,
    endpoint_url: Option<String>,
    kinesis_endpoint: Option<String>,
    s3_endpoint: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    worker_id: Option<String>,
    lease_secs: Option<u64>,
    discovery_secs: Option<u64>,
    kinesis_timeout_secs: Option<u64>,
    metrics_addr: Option<SocketAddr>,
    max_age_secs: Option<u64>,
    target_mb: Option<usize>,
    max_buffer_mb: Option<usize>,
    late_after: Option<String>,
    late_hold: Option<String>,
    max_records_per_call: Option<i32>,
    efo: Option<String>,
    efo_deregister: Option<bool>,
    threads: Option<u16>,
    compact_every: Option<String>,
    compact_older_than: Option<String>,
    compact_target_mb: Option<u64>,
    retain: Option<String>,
    vacuum_retain: Option<String>,
    site: Option<String>,
    tz: Option<String>,
    #[serde(default)]
    site_tz: Vec<String>,
    bulk: Option<Bulk>,
}

impl FileConfig {
    fn load(path: Option<&Path>) -> Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid config", path.display()))
    }

    /// The decoder settings of the file, for the flags that were not given.
    fn decoder(&self) -> DecoderArgs {
        DecoderArgs {
            site: self.site.clone(),
            tz: self.tz.clone(),
            site_tz: self.site_tz.clone(),
            bulk: self.bulk,
        }
    }
}

/// The lake: flag (or its variable), else the file, else `./lake`.
fn lake_location(args: &ConsumeArgs, file: &FileConfig) -> String {
    args.lake
        .clone()
        .or(file.lake.clone())
        .unwrap_or_else(|| "./lake".into())
}

/// The S3 endpoint: `s3_endpoint` from the flags or the file, else the shared `endpoint_url`.
fn s3_endpoint(args: &ConsumeArgs, file: &FileConfig) -> Option<String> {
    [
        &args.s3_endpoint,
        &file.s3_endpoint,
        &args.endpoint_url,
        &file.endpoint_url,
    ]
    .into_iter()
    .find_map(Option::clone)
}

/// How long a shard (or the ser2sock source) buffers before it writes.
fn max_age(args: &ConsumeArgs, file: &FileConfig) -> Duration {
    args.max_age_secs
        .or(file.max_age_secs)
        .map_or(WriterConfig::default().max_age, Duration::from_secs)
}

/// Which rows a shard holds as late, and for how long (`--late-after`, `--late-hold`).
fn late_rule(args: &ConsumeArgs, file: &FileConfig) -> Result<Option<LateRule>> {
    let after = args.late_after.as_ref().or(file.late_after.as_ref());
    if after.is_some_and(|a| a.trim() == "off") {
        return Ok(None);
    }
    let after = match after {
        Some(text) => duration_arg::parse(text).map_err(|e| anyhow!("--late-after: {e}"))?,
        None => chrono::Duration::hours(1),
    };
    let hold = match args.late_hold.as_ref().or(file.late_hold.as_ref()) {
        Some(text) => duration_arg::parse(text)
            .map_err(|e| anyhow!("--late-hold: {e}"))?
            .to_std()
            .map_err(|_| anyhow!("--late-hold must not be negative"))?,
        None => Duration::from_secs(30 * 60),
    };
    Ok(Some(LateRule { after, hold }))
}

/// Scheduled compaction and retention, for both sources.
fn upkeep_settings(args: &ConsumeArgs, file: &FileConfig) -> Result<Upkeep> {
    let duration = |name: &str, flag: &Option<String>, from_file: &Option<String>| {
        flag.clone()
            .or(from_file.clone())
            .map(|text| duration_arg::parse(&text).map_err(|e| anyhow::anyhow!("--{name}: {e}")))
            .transpose()
    };
    let compact_every = duration("compact-every", &args.compact_every, &file.compact_every)?;
    if compact_every.is_some_and(|every| every < chrono::Duration::seconds(1)) {
        bail!("--compact-every must be at least 1s");
    }
    let retain = duration("retain", &args.retain, &file.retain)?;
    if let Some(keep) = retain
        && keep < retention::MIN_KEEP
    {
        bail!("--retain must be at least 1h: a shorter window could delete the hour being written");
    }
    let vacuum_retain = duration("vacuum-retain", &args.vacuum_retain, &file.vacuum_retain)?;
    if vacuum_retain.is_some_and(|keep| keep < maintenance::MIN_VACUUM_RETAIN) {
        bail!("--vacuum-retain must be at least 1h: files being written are younger");
    }
    let defaults = CompactionConfig::default();
    Ok(Upkeep {
        compact_every,
        compaction: CompactionConfig {
            older_than: duration(
                "compact-older-than",
                &args.compact_older_than,
                &file.compact_older_than,
            )?
            .unwrap_or(defaults.older_than),
            target_bytes: args
                .compact_target_mb
                .or(file.compact_target_mb)
                .unwrap_or(64)
                .max(1)
                * 1_000_000,
            ..defaults
        },
        retain,
        vacuum_retain,
    })
}

/// The Kinesis source's settings: flags (or their variables), else the file, else defaults.
fn kinesis_source(args: &ConsumeArgs, file: &FileConfig) -> Result<KinesisSource> {
    let pick =
        |flag: &Option<String>, from_file: &Option<String>| flag.clone().or(from_file.clone());
    let Some(stream) = pick(&args.stream, &file.stream) else {
        bail!("no stream: give --stream, ALARMLAKE_STREAM or `stream` in the config file");
    };
    let defaults = KinesisSource::new(stream);
    let endpoint = pick(&args.endpoint_url, &file.endpoint_url);
    Ok(KinesisSource {
        app: pick(&args.app, &file.app).unwrap_or(defaults.app.clone()),
        checkpoints: pick(&args.checkpoints, &file.checkpoints),
        start: pick(&args.start, &file.start)
            .unwrap_or("trim-horizon".into())
            .parse()
            .map_err(|e| anyhow::anyhow!("--start {e}"))?,
        kinesis: KinesisOptions {
            endpoint_url: pick(&args.kinesis_endpoint, &file.kinesis_endpoint).or(endpoint),
            attempt_timeout: args
                .kinesis_timeout_secs
                .or(file.kinesis_timeout_secs)
                .map(Duration::from_secs),
        },
        lease: LeaseOptions {
            worker: pick(&args.worker_id, &file.worker_id).unwrap_or(defaults.lease.worker.clone()),
            duration: args
                .lease_secs
                .or(file.lease_secs)
                .map_or(defaults.lease.duration, |s| Duration::from_secs(s.max(2))),
        },
        discovery_interval: args
            .discovery_secs
            .or(file.discovery_secs)
            .map_or(defaults.discovery_interval, |s| {
                Duration::from_secs(s.max(1))
            }),
        buffer_budget_bytes: args
            .max_buffer_mb
            .or(file.max_buffer_mb)
            .map_or(defaults.buffer_budget_bytes, |mb| mb * 1024 * 1024),
        records_per_call: args
            .max_records_per_call
            .or(file.max_records_per_call)
            .map_or(defaults.records_per_call, |n| n.clamp(1, 10_000)),
        drain: args.drain,
        read_only: args.bench_read_only,
        efo: pick(&args.efo, &file.efo).map(|consumer| EfoOptions {
            consumer,
            deregister: args.efo_deregister || file.efo_deregister.unwrap_or(false),
        }),
        ..defaults
    })
}

/// The whole configuration, for either source.
fn consumer_config(args: &ConsumeArgs, file: &FileConfig) -> Result<ConsumerConfig> {
    // A stream given as a flag wins over a source from the file, and the other way round.
    let tcp = match (&args.stream, &args.source) {
        (Some(_), _) => None,
        (None, Some(source)) => Some(source.clone()),
        (None, None) => file.source.clone(),
    };
    let defaults = WriterConfig::default();
    let (source, writer) = match tcp {
        Some(source) => {
            let Some(address) = source.strip_prefix("tcp://") else {
                bail!("--source {source:?}: only tcp://HOST:PORT (a ser2sock server) is supported");
            };
            let source = Source::Tcp {
                address: address.to_string(),
            };
            let writer = WriterConfig {
                max_age: max_age(args, file),
                ..defaults
            };
            (source, writer)
        }
        None => {
            let writer = WriterConfig {
                max_age: max_age(args, file),
                target_bytes: args
                    .target_mb
                    .or(file.target_mb)
                    .map_or(defaults.target_bytes, |mb| mb * 1024 * 1024),
                late: late_rule(args, file)?,
                ..defaults
            };
            (
                Source::Kinesis(Box::new(kinesis_source(args, file)?)),
                writer,
            )
        }
    };
    Ok(ConsumerConfig {
        lake: lake_location(args, file),
        s3_endpoint: s3_endpoint(args, file),
        aws: AwsSettings {
            profile: args.profile.clone().or(file.profile.clone()),
            region: args.region.clone(),
            config_region: file.region.clone(),
            endpoint_override: false,
        },
        source,
        writer,
        upkeep: upkeep_settings(args, file)?,
        metrics_addr: args.metrics_addr.or(file.metrics_addr),
    })
}

/// Reader threads by default.
///
/// *Why one:* the readers spend most of their time waiting on Kinesis, and with two or more
/// threads every wake-up could move a reader between threads: on benchmark P3 one thread cost
/// about 7 % less CPU for the same records (`benches/RESULTS.md`). Encoding, the heavy
/// part, runs on tokio's blocking pool and uses the other cores anyway.
const DEFAULT_THREADS: u16 = 1;

pub fn run(args: ConsumeArgs) -> Result<ExitCode> {
    let file = FileConfig::load(args.config.as_deref())?;
    let decoder = args.decoder.clone().or(file.decoder());
    let decoder = Decoder::new(decoder.config()?);
    let threads = args.threads.or(file.threads).unwrap_or(DEFAULT_THREADS);
    let config = consumer_config(&args, &file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::from(threads))
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let consumer = Consumer::new(config, decoder);
    if args.check {
        let failures = runtime.block_on(consumer.check(&mut print_check_line));
        return Ok(check_verdict(failures));
    }
    let result = runtime.block_on(async {
        let stop = stop_on_signal("stopping: writing and committing what is buffered");
        consumer.run(stop).await
    });
    runtime.shutdown_timeout(UPKEEP_GRACE);
    print_summary(&result?);
    Ok(ExitCode::SUCCESS)
}

fn print_check_line(line: CheckLine) {
    let status = match line.status {
        CheckStatus::Ok => "ok",
        CheckStatus::Fail => "FAIL",
        CheckStatus::Note => "note",
    };
    println!("{status:<5} {:<12} {}", line.what, line.text);
}

/// Exit 0 if the consumer would run, 2 if not.
fn check_verdict(failures: usize) -> ExitCode {
    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) failed: the consumer would not run");
        ExitCode::from(2)
    }
}

fn print_summary(summary: &ConsumeSummary) {
    match summary {
        ConsumeSummary::Kinesis {
            records,
            events,
            rejected,
            replayed,
            shards_read,
            cpu,
        } => eprintln!(
            "consumed {records} records from {shards_read} shards{}: {events} events, {rejected} rejected; all committed{}",
            match replayed {
                0 => String::new(),
                n => format!(
                    " ({n} read again for held late rows, counted by the run that first read them)"
                ),
            },
            cpu.map_or(String::new(), |(all, after)| cpu_note::format(all, after))
        ),
        ConsumeSummary::Tcp {
            connections,
            lines,
            files,
            outcomes,
        } => eprintln!(
            "read {lines} lines over {connections} connections: {} events, {} rejected, {} chatter; {files} files written",
            outcomes.events, outcomes.rejected, outcomes.chatter
        ),
    }
}

/// A flag that becomes true at Ctrl-C or SIGTERM, when `message` is logged.
fn stop_on_signal(message: &'static str) -> watch::Receiver<bool> {
    let (sender, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("{message}");
        let _ = sender.send(true);
    });
    stop
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still works");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../packaging/alarmlake.example.toml");

    /// The example with every commented-out setting (`# key = value`) switched on.
    fn example_with_everything() -> String {
        EXAMPLE
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(key, _)| {
                        !key.is_empty()
                            && key
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    }) =>
                {
                    rest
                }
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_example_config_parses_as_it_is_and_with_everything_on() {
        let plain: FileConfig = toml::from_str(EXAMPLE).expect("the example parses");
        assert_eq!(plain.stream.as_deref(), Some("alarm-events"));
        let full: FileConfig =
            toml::from_str(&example_with_everything()).expect("every documented setting parses");
        assert_eq!(full.lease_secs, Some(30));
        assert_eq!(full.site_tz.len(), 2);
        assert!(matches!(full.bulk, Some(Bulk::Never)));
        assert!(full.decoder().config().is_ok());
    }

    /// Every flag of `consume` has its key in the example, and every key there is a flag: the
    /// file, the flags and the README cannot drift apart.
    #[test]
    fn the_example_config_matches_the_flags() {
        use clap::Args as _;
        let table: toml::Table = toml::from_str(&example_with_everything()).unwrap();
        let keys: std::collections::BTreeSet<String> = table.keys().cloned().collect();
        // Flags that are not settings: the file itself, one-shot modes, and the benchmark's.
        let not_settings = ["config", "drain", "check", "bench-read-only"];
        let flags: std::collections::BTreeSet<String> =
            ConsumeArgs::augment_args(clap::Command::new("consume"))
                .get_arguments()
                .filter_map(|arg| arg.get_long())
                .filter(|long| !not_settings.contains(long))
                .map(|long| long.replace('-', "_"))
                .collect();
        assert_eq!(keys, flags);
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: FileConfig =
            toml::from_str("tz = \"Europe/Berlin\"\nsite = \"from-file\"").unwrap();
        let flags = DecoderArgs {
            tz: Some("America/New_York".into()),
            ..DecoderArgs::default()
        };
        let merged = flags.or(file.decoder());
        assert_eq!(merged.tz.as_deref(), Some("America/New_York"));
        assert_eq!(merged.site.as_deref(), Some("from-file"));
    }
}
