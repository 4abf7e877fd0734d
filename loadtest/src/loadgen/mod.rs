//! `alarmlake loadgen`: the generator's realistic events into a Kinesis stream, at a target
//! rate, for a duration or a count, as an open-loop load (see [`pacing`]).
//!
//! Lines stream from the generator as they are sent (memory stays flat whatever the count). The
//! partition key is the home's site, so each home keeps its order. PutRecords batches hold up
//! to 500 records and 5 MB; refused records are retried ([`sender`]). With `--kpl-aggregate`,
//! lines are packed into KPL aggregates per shard, as the official producer library does. At the
//! end a summary is printed and, with `--manifest`, a manifest of what each shard received.

mod manifest;
mod pacing;
mod sender;
mod shard_map;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alarmlake_aws::{AwsAccess, AwsSettings};
use alarmlake_ingest::kinesis::{Kinesis, KinesisOptions};
use alarmlake_schemas::kpl::{UserRecord, aggregate};
use alarmlake_schemas::msgpack::encode_envelope;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use manifest::Manifest;
use pacing::{Schedule, ShardLimits};
use sender::{Entry, MAX_BYTES, MAX_RECORDS, Sent};
use shard_map::ShardMap;

use crate::generator::{Format, Generator, GeneratorConfig};

/// Largest KPL aggregate, as the producer library's default `AggregationMaxSize`.
const MAX_AGGREGATE_BYTES: usize = 51_200;

/// Longest an event waits in an open aggregate, as the producer library's default
/// `RecordMaxBufferedTime`.
const MAX_AGGREGATE_WAIT: Duration = Duration::from_millis(100);

/// How far ahead of its due time a batch may be sent, so that sleeps are not too short to
/// matter.
const SLACK: Duration = Duration::from_millis(20);

/// What `alarmlake loadgen` does; the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct LoadgenOptions {
    /// The stream to write to.
    pub stream: String,
    /// Create the stream first, with `shards` shards.
    pub create: bool,
    pub shards: i32,
    /// Simulated homes.
    pub homes: usize,
    /// Events per second to send (open loop); `None`: as fast as the stream takes them.
    pub rate: Option<f64>,
    /// Stop after this long.
    pub duration: Option<chrono::Duration>,
    /// Stop after this many events (default 100,000, unless `duration` is given).
    pub count: Option<u64>,
    pub format: Format,
    /// Pack the events into KPL aggregated records, as the Kinesis Producer Library does.
    pub kpl_aggregate: bool,
    /// Also put a MODE bulk-data record after every N events (0: none).
    pub bulk_every: u64,
    pub seed: u64,
    /// First simulated moment (default: 30 days ago).
    pub start: Option<DateTime<Utc>>,
    /// Days the simulation may cover.
    pub days: u32,
    /// Keep to each shard's write limits (1,000 records and 1 MiB per second).
    pub shard_limits: ShardLimitsMode,
    /// PutRecords calls in flight.
    pub concurrency: usize,
    /// Where the manifest goes (and every record's position, next to it).
    pub manifest: Option<PathBuf>,
    /// Never show a progress bar.
    pub no_progress: bool,
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
}

/// Whether the sender keeps to each shard's write limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardLimitsMode {
    /// On AWS, and not against an endpoint (emulators do not enforce them).
    Auto,
    On,
    Off,
}

/// How long one PutRecords attempt may take before it is sent again (see `run`).
const PUT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Running totals for the progress bar and the summary.
#[derive(Debug, Default)]
struct Totals {
    events: u64,
    records: u64,
    bytes: u64,
    retried_records: u64,
    retried_calls: u64,
    maybe_doubled_records: u64,
    maybe_doubled_events: u64,
}

impl Totals {
    fn add(&mut self, sent: &Sent) {
        self.records += sent.acknowledged.len() as u64;
        self.events += sent
            .acknowledged
            .iter()
            .map(|a| u64::from(a.events))
            .sum::<u64>();
        self.bytes += sent
            .acknowledged
            .iter()
            .map(|a| a.bytes as u64)
            .sum::<u64>();
        self.retried_records += sent.retried_records;
        self.retried_calls += sent.retried_calls;
        self.maybe_doubled_records += sent.maybe_doubled_records;
        self.maybe_doubled_events += sent.maybe_doubled_events;
    }

    /// The summary's note on records that may be in the stream twice; empty when none are.
    fn maybe_doubled_note(&self) -> String {
        if self.maybe_doubled_records == 0 {
            return String::new();
        }
        format!(
            "; {} records ({} events) were sent again after a call whose outcome was unknown, so the stream may hold them twice",
            self.maybe_doubled_records, self.maybe_doubled_events
        )
    }
}

/// Runs the load: generate, pace, batch and send, then print the summary and write the
/// manifest.
pub fn run(args: LoadgenOptions) -> Result<()> {
    let start = args
        .start
        .unwrap_or_else(|| Utc::now() - chrono::Duration::days(30));
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        bail!("--rate must be a positive number of events per second");
    }
    let count = match (args.count, args.duration) {
        (Some(count), _) => count,
        (None, Some(_)) => u64::MAX,
        (None, None) => 100_000,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let access = AwsAccess::load(&AwsSettings {
            region: args.region.clone(),
            endpoint_override: args.endpoint_url.is_some(),
            ..AwsSettings::default()
        })
        .await?;
        let options = KinesisOptions {
            endpoint_url: args.endpoint_url.clone(),
            attempt_timeout: None,
        };
        let kinesis = Kinesis::connect(&args.stream, &options, &access).await;
        // PutRecords goes through a client that never retries by itself, so that the sender
        // sees, and counts, every attempt that may have stored its records (see `sender`).
        // It also waits longer for an answer: a call the stream is still working on is better
        // waited for than sent again, since the stream stores both copies. AWS answers in
        // milliseconds; an emulator holding a large backlog took over 30 s for some calls.
        let putter = kinesis.single_attempt(PUT_ATTEMPT_TIMEOUT);
        if args.create {
            kinesis.create_stream(args.shards).await?;
        }
        let shards = ShardMap::of_stream(&kinesis)
            .await
            .with_context(|| format!("cannot list the shards of {}", args.stream))?;
        if shards.len() == 0 {
            bail!("stream {} has no open shards", args.stream);
        }
        let config = GeneratorConfig {
            homes: args.homes,
            days: args.days,
            seed: args.seed,
            format: args.format,
            start,
        };
        let limits = match args.shard_limits {
            ShardLimitsMode::On => true,
            ShardLimitsMode::Off => false,
            ShardLimitsMode::Auto => args.endpoint_url.is_none(),
        };
        send_all(&args, &putter, &shards, &config, count, limits).await
    })
}

/// The main loop: generate, pace, batch, send; then the summary and the manifest.
async fn send_all(
    args: &LoadgenOptions,
    kinesis: &Kinesis,
    shards: &ShardMap,
    config: &GeneratorConfig,
    count: u64,
    limits: bool,
) -> Result<()> {
    let started_at = Utc::now();
    let started = Instant::now();
    let schedule = Schedule::new(started, args.rate);
    let deadline = args
        .duration
        .and_then(|d| d.to_std().ok())
        .map(|d| started + d);
    let mut shard_limits = limits.then(|| ShardLimits::new(shards.len(), started));
    let mut recorder = manifest::Recorder::new(args.manifest.as_deref())?;
    let mut totals = Totals::default();
    let progress = progress_bar(args.no_progress);
    let in_flight = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut tasks: JoinSet<Result<Sent>> = JoinSet::new();
    let mut batch = Batch::default();
    let mut aggregates: Vec<Aggregate> = vec![Aggregate::default(); shards.len()];
    let mut generator = Generator::new(config);
    let mut text = String::new();
    let mut produced = 0u64;
    let mut produced_lines = 0u64;
    let mut last_draw = Instant::now();
    'generate: while produced < count {
        text.clear();
        let Some((_, site)) = generator.next_home_lines(&mut text) else {
            break;
        };
        let site = site.to_string();
        let shard = shards.index_of(&site);
        let lines = text.lines().map(|line| line.as_bytes().to_vec());
        for data in lines.flat_map(|line| {
            produced_lines += 1;
            let bulk = (args.bulk_every > 0 && produced_lines.is_multiple_of(args.bulk_every))
                .then(|| bulk_payload(produced_lines));
            std::iter::once(line).chain(bulk)
        }) {
            if produced >= count || deadline.is_some_and(|d| Instant::now() >= d) {
                break 'generate;
            }
            let due = schedule.due(produced);
            if due > Instant::now() + SLACK {
                close_aggregates(
                    &mut aggregates,
                    &mut batch,
                    &mut shard_limits,
                    Some(MAX_AGGREGATE_WAIT),
                )
                .await;
                batch.send(kinesis, &in_flight, &mut tasks).await;
                tokio::time::sleep_until(due.into()).await;
            }
            if args.kpl_aggregate {
                let aggregate = &mut aggregates[shard];
                if aggregate.bytes + data.len() + site.len() > MAX_AGGREGATE_BYTES {
                    let entry = aggregate.close();
                    batch.push(entry, shard, &mut shard_limits).await;
                }
                aggregate.push(&site, data);
            } else {
                let entry = Entry {
                    partition_key: site.clone(),
                    data,
                    events: 1,
                };
                batch.push(entry, shard, &mut shard_limits).await;
            }
            produced += 1;
            if batch.full() {
                batch.send(kinesis, &in_flight, &mut tasks).await;
            }
            while let Some(done) = tasks.try_join_next() {
                collect(done, &mut recorder, &mut totals)?;
            }
            if last_draw.elapsed() > Duration::from_millis(250) {
                draw(&progress, &totals, started, args.rate);
                last_draw = Instant::now();
            }
        }
    }
    close_aggregates(&mut aggregates, &mut batch, &mut shard_limits, None).await;
    batch.send(kinesis, &in_flight, &mut tasks).await;
    while let Some(done) = tasks.join_next().await {
        collect(done, &mut recorder, &mut totals)?;
        draw(&progress, &totals, started, args.rate);
    }
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let achieved = totals.events as f64 / seconds.max(1e-9);
    let target = args.rate.map_or("as fast as possible".to_string(), |r| {
        format!("target {r:.0}")
    });
    eprintln!(
        "put {} events in {} Kinesis records ({:.1} MB) into {} in {seconds:.1} s: {achieved:.0} events/s ({target}), {:.2} MB/s; {} records refused and sent again, {} calls retried{}",
        totals.events,
        totals.records,
        totals.bytes as f64 / 1e6,
        args.stream,
        totals.bytes as f64 / 1e6 / seconds.max(1e-9),
        totals.retried_records,
        totals.retried_calls,
        totals.maybe_doubled_note(),
    );
    for (shard, m) in recorder.shards() {
        eprintln!(
            "  {shard}: {} records, {} events, sequence numbers {} .. {}",
            m.kinesis_records, m.events, m.first_sequence_number, m.last_sequence_number
        );
    }
    if let Some(path) = &args.manifest {
        let (shards, positions_file) = recorder.finish()?;
        let manifest = Manifest {
            stream: args.stream.clone(),
            format: format!("{:?}", args.format).to_lowercase(),
            kpl_aggregate: args.kpl_aggregate,
            started: started_at,
            finished: Utc::now(),
            seconds,
            target_rate: args.rate,
            achieved_rate: achieved,
            events: totals.events,
            kinesis_records: totals.records,
            bytes: totals.bytes,
            retried_records: totals.retried_records,
            retried_calls: totals.retried_calls,
            maybe_doubled_records: totals.maybe_doubled_records,
            maybe_doubled_events: totals.maybe_doubled_events,
            shards,
            positions_file,
        };
        manifest.write(path)?;
        eprintln!("manifest: {}", path.display());
    }
    Ok(())
}

fn collect(
    done: Result<Result<Sent>, tokio::task::JoinError>,
    recorder: &mut manifest::Recorder,
    totals: &mut Totals,
) -> Result<()> {
    let sent = done.context("a sending task failed")??;
    for ack in &sent.acknowledged {
        recorder.record(&ack.shard_id, &ack.sequence_number, u64::from(ack.events))?;
    }
    totals.add(&sent);
    Ok(())
}

/// The PutRecords batch being filled.
#[derive(Default)]
struct Batch {
    entries: Vec<Entry>,
    bytes: usize,
}

impl Batch {
    /// Adds a record for `shard`, first waiting for the shard's limits if they are kept.
    async fn push(&mut self, entry: Entry, shard: usize, limits: &mut Option<ShardLimits>) {
        if let Some(limits) = limits {
            while let Err(wait) = limits.take(shard, entry.size(), Instant::now()) {
                tokio::time::sleep(wait).await;
            }
        }
        self.bytes += entry.size();
        self.entries.push(entry);
    }

    fn full(&self) -> bool {
        self.entries.len() >= MAX_RECORDS || self.bytes >= MAX_BYTES - MAX_AGGREGATE_BYTES * 2
    }

    /// Sends what is in the batch on a task, once a slot of `in_flight` is free.
    async fn send(
        &mut self,
        kinesis: &Kinesis,
        in_flight: &Arc<Semaphore>,
        tasks: &mut JoinSet<Result<Sent>>,
    ) {
        if self.entries.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.entries);
        self.bytes = 0;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let kinesis = kinesis.clone();
        tasks.spawn(async move {
            let sent = sender::send(&kinesis, entries).await;
            drop(permit);
            sent
        });
    }
}

/// A KPL aggregate being filled for one shard.
#[derive(Default, Clone)]
struct Aggregate {
    records: Vec<UserRecord>,
    bytes: usize,
    /// When its first event went in.
    opened: Option<Instant>,
}

impl Aggregate {
    fn push(&mut self, key: &str, data: Vec<u8>) {
        self.opened.get_or_insert_with(Instant::now);
        self.bytes += data.len() + key.len() + 8;
        self.records.push(UserRecord {
            partition_key: key.to_string(),
            explicit_hash_key: None,
            data,
        });
    }

    /// The Kinesis record: the aggregate under its first user record's key, which maps to the
    /// same shard as all the others.
    fn close(&mut self) -> Entry {
        let records = std::mem::take(&mut self.records);
        self.bytes = 0;
        self.opened = None;
        Entry {
            partition_key: records
                .first()
                .map(|r| r.partition_key.clone())
                .unwrap_or_default(),
            data: aggregate(&records),
            events: u32::try_from(records.len()).unwrap_or(u32::MAX),
        }
    }
}

/// A MODE bulk-data record: the `"1.0"` MessagePack envelope around one binary sample (a
/// sequence number and sixteen 16-bit readings), as a device's bulk upload arrives.
fn bulk_payload(n: u64) -> Vec<u8> {
    let mut sample = n.to_be_bytes().to_vec();
    for i in 0..16u64 {
        let reading = ((n.wrapping_mul(31) + i * 977) % 4096) as u16;
        sample.extend_from_slice(&reading.to_be_bytes());
    }
    encode_envelope(&[sample])
}

/// Moves the open aggregates into the batch: those older than `older_than`, or all.
async fn close_aggregates(
    aggregates: &mut [Aggregate],
    batch: &mut Batch,
    limits: &mut Option<ShardLimits>,
    older_than: Option<Duration>,
) {
    for (shard, aggregate) in aggregates.iter_mut().enumerate() {
        let due = match (aggregate.opened, older_than) {
            (Some(opened), Some(age)) => opened.elapsed() >= age,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if due {
            let entry = aggregate.close();
            batch.push(entry, shard, limits).await;
        }
    }
}

fn progress_bar(hidden: bool) -> ProgressBar {
    crate::progress::bar(hidden, None, "{spinner} {elapsed} {msg}")
}

fn draw(bar: &ProgressBar, totals: &Totals, started: Instant, target: Option<f64>) {
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let target = target.map_or(String::new(), |r| format!(" (target {r:.0})"));
    bar.set_message(format!(
        "{} events, {:.0} events/s{target}, {:.2} MB/s, {} refused and retried, {} calls retried",
        totals.events,
        totals.events as f64 / seconds,
        totals.bytes as f64 / 1e6 / seconds,
        totals.retried_records,
        totals.retried_calls
    ));
    bar.tick();
}
