//! `alarmlake bench`: the whole benchmark in one command, against LocalStack, the emulators or
//! AWS. It creates the stream and bucket, runs the load generator and the consumer as real
//! processes at the same time, waits until the consumer has read everything, proves the lake
//! holds every event exactly once, measures (CPU, memory, lag, put-to-queryable latency), reads
//! the stream again as a backlog (P3, P6) and with a Python baseline, times the six canonical
//! queries against DuckDB, and writes `report.md`, `report.json` and charts.

mod child;
mod lake_copy;
mod latency;
mod report;
mod rows;
mod scrape;
mod verify;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use alarmlake_aws::{AwsAccess, AwsSettings, S3Settings};
use alarmlake_ingest::cpu_note;
use alarmlake_ingest::kinesis::{Kinesis, KinesisOptions};
use alarmlake_transform::Lake;
use anyhow::{Context, Result, bail};
use chrono::Utc;

use self::child::Measured;
use self::report::{Backlog, Baseline, Live, Load, Report, Sample, Settings};
use crate::loadgen::Manifest;

/// Where the benchmark runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// LocalStack on 127.0.0.1:4566 (scripts/bench-localstack.sh starts it).
    Localstack,
    /// kinesis-mock on 127.0.0.1:4568 and moto on 127.0.0.1:5055 (scripts/emulators.sh).
    Emulators,
    /// Real AWS: credentials and region from the usual places, and a lake on an existing bucket.
    Aws,
}

/// What `alarmlake bench` does; the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub target: Target,
    /// One endpoint for Kinesis and S3 (default: the target's).
    pub endpoint_url: Option<String>,
    pub kinesis_endpoint: Option<String>,
    pub s3_endpoint: Option<String>,
    pub shards: i32,
    /// Events per second the load generator puts.
    pub rate: f64,
    /// How long the load runs.
    pub duration: chrono::Duration,
    pub homes: usize,
    /// Put the events as KPL aggregates.
    pub kpl_aggregate: bool,
    /// Also put a MODE bulk-data record after every N events (stored in bulk_records).
    pub bulk_every: u64,
    /// Seconds the consumer buffers before it writes (sets the put-to-queryable latency).
    pub flush_secs: u64,
    /// Where the report goes (default: bench-results/<time>/).
    pub out: Option<PathBuf>,
    /// The stream (default: alarmlake-bench-<time>; reused if it exists).
    pub stream: Option<String>,
    /// The lake (default: s3://alarmlake-bench/<time> on the target's S3, created if needed).
    pub lake: Option<String>,
    /// A Python with duckdb, boto3 and pyarrow (benches/requirements.txt), for the DuckDB
    /// checks, the queries and the baseline; without it those steps are skipped.
    pub python: Option<String>,
    /// A Python with DuckDB and its delta extension (scripts/test-requirements.txt) for the
    /// lake's row count through the Delta log; `python` when not given. Two, because the delta
    /// extension trails DuckDB's releases and the queries compare with the newest DuckDB.
    pub check_python: Option<String>,
    /// Skip the Python baseline consumer.
    pub no_baseline: bool,
    /// Skip the backlog read (P3, P6).
    pub no_backlog: bool,
    /// Never show progress bars (they are drawn only on a terminal anyway).
    pub no_progress: bool,
    /// Skip the six queries.
    pub no_queries: bool,
    /// Only check an earlier run's lake copy (<out>/lake) against its manifest again.
    pub verify_only: bool,
    /// The `alarmlake` binary whose `consume` and `loadgen` run as the benchmark's processes.
    pub binary: PathBuf,
    /// The consumers read with enhanced fan-out as this stream consumer (`consume --efo`).
    pub efo: Option<String>,
}

/// The endpoints of a target: (Kinesis, S3); `None` is real AWS.
fn endpoints(args: &BenchOptions) -> (Option<String>, Option<String>) {
    let (kinesis, s3) = match args.target {
        Target::Localstack => (Some("http://127.0.0.1:4566"), Some("http://127.0.0.1:4566")),
        Target::Emulators => (Some("http://127.0.0.1:4568"), Some("http://127.0.0.1:5055")),
        Target::Aws => (None, None),
    };
    let shared = args.endpoint_url.clone();
    (
        args.kinesis_endpoint
            .clone()
            .or(shared.clone())
            .or(kinesis.map(str::to_string)),
        args.s3_endpoint
            .clone()
            .or(shared)
            .or(s3.map(str::to_string)),
    )
}

/// Where the `benches/` scripts are: next to this binary's source tree.
fn benches_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches")
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_default();
    format!("{cpus} vCPU {model}")
}

/// Runs the whole benchmark and writes its report; returns whether the lake passed the
/// exactly-once check.
pub fn run(args: BenchOptions) -> Result<bool> {
    let stamp = Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench-results").join(&stamp));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    if args.verify_only {
        return verify_only(&out);
    }
    let (kinesis_endpoint, s3_endpoint) = endpoints(&args);
    if args.target == Target::Aws && args.lake.is_none() {
        bail!("--target aws needs --lake s3://bucket/prefix (an existing bucket)");
    }
    let stream = args
        .stream
        .clone()
        .unwrap_or_else(|| format!("alarmlake-bench-{stamp}"));
    let lake_url = args
        .lake
        .clone()
        .unwrap_or_else(|| format!("s3://alarmlake-bench/{stamp}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let settings = Settings {
        target: format!("{:?}", args.target).to_lowercase(),
        stream: stream.clone(),
        lake: lake_url.clone(),
        shards: args.shards,
        rate: args.rate,
        duration_seconds: args.duration.num_milliseconds() as f64 / 1000.0,
        homes: args.homes,
        kpl_aggregate: args.kpl_aggregate,
        flush_seconds: args.flush_secs,
        reader: if args.efo.is_some() {
            "enhanced fan-out (SubscribeToShard)".into()
        } else {
            "polling (GetRecords)".into()
        },
    };
    eprintln!(
        "== setting up: stream {stream}, lake {lake_url}, report in {}",
        out.display()
    );
    runtime.block_on(async {
        let access = AwsAccess::load(&AwsSettings {
            endpoint_override: kinesis_endpoint.is_some(),
            ..AwsSettings::default()
        })
        .await?;
        let options = KinesisOptions {
            endpoint_url: kinesis_endpoint.clone(),
            attempt_timeout: None,
        };
        let kinesis = Kinesis::connect(&stream, &options, &access).await;
        kinesis.create_stream(args.shards).await?;
        if let (Some(endpoint), Some(rest)) = (&s3_endpoint, lake_url.strip_prefix("s3://"))
            && args.target != Target::Aws
        {
            create_bucket(endpoint, rest.split('/').next().unwrap_or(rest))?;
        }
        anyhow::Ok(())
    })?;
    let bench = Bench {
        args: &args,
        out: out.clone(),
        stream,
        lake_url,
        kinesis_endpoint,
        s3_endpoint,
        binary: args.binary.clone(),
    };
    let report = bench.run(&runtime, settings)?;
    report.write(&out)?;
    println!("{}", summary_table(&report));
    println!("report: {}", out.join("report.md").display());
    Ok(report.verification.passed())
}

/// Creates a bucket on an S3 emulator with an unsigned PUT (moto and LocalStack accept it; an
/// existing bucket is fine).
fn create_bucket(endpoint: &str, bucket: &str) -> Result<()> {
    use std::io::{Read, Write};
    let Some(address) = endpoint.strip_prefix("http://") else {
        bail!("cannot create a bucket at {endpoint}: only http:// emulator endpoints");
    };
    let address = address.trim_end_matches('/');
    let mut socket = std::net::TcpStream::connect(address)
        .with_context(|| format!("cannot reach S3 at {endpoint}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        socket,
        "PUT /{bucket} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer)?;
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    if status == "200"
        || answer.contains("BucketAlreadyOwnedByYou")
        || answer.contains("BucketAlreadyExists")
    {
        Ok(())
    } else {
        bail!(
            "creating bucket {bucket} at {endpoint}: {}",
            answer.lines().next().unwrap_or("")
        )
    }
}

/// A free port on 127.0.0.1 for the consumer's metrics.
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Bench<'a> {
    args: &'a BenchOptions,
    out: PathBuf,
    stream: String,
    lake_url: String,
    kinesis_endpoint: Option<String>,
    s3_endpoint: Option<String>,
    binary: PathBuf,
}

impl Bench<'_> {
    /// A progress bar for one step, on a terminal (see [`crate::progress`]).
    fn bar(&self, total: Option<u64>, template: &str) -> indicatif::ProgressBar {
        crate::progress::bar(self.args.no_progress, total, template)
    }

    /// `alarmlake consume` on the stream, with the endpoints and `extra` flags.
    fn consume(&self, lake: &str, app: &str, extra: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command.args([
            "consume",
            "--stream",
            &self.stream,
            "--lake",
            lake,
            "--app",
            app,
            // The load generator simulates the last 30 days, so every event would count as
            // late and wait in a held hour; a live fleet's events arrive on time, and the
            // put-to-queryable latency measured here is theirs.
            "--late-after",
            "off",
        ]);
        if let Some(endpoint) = &self.kinesis_endpoint {
            command.args(["--kinesis-endpoint", endpoint]);
        }
        if let Some(endpoint) = &self.s3_endpoint {
            command.args(["--s3-endpoint", endpoint]);
        }
        if self.args.bulk_every > 0 {
            // Bulk-data records are opaque bytes: stored in bulk_records, not dead letters.
            command.args(["--bulk", "unrecognized"]);
        }
        if let Some(consumer) = &self.args.efo {
            command.args(["--efo", consumer]);
        }
        command.args(extra);
        command
    }

    fn run(&self, runtime: &tokio::runtime::Runtime, settings: Settings) -> Result<Report> {
        let args = self.args;
        let started = Utc::now();
        let port = free_port()?;
        let metrics = format!("127.0.0.1:{port}");
        let flush = args.flush_secs.to_string();
        eprintln!(
            "== consumer and load generator, {:.0} events/s for {} s",
            args.rate, settings.duration_seconds
        );
        let mut consumer = Measured::spawn(
            "consumer",
            self.consume(
                &self.lake_url,
                "alarmlake-bench",
                &["--metrics-addr", &metrics, "--max-age-secs", &flush],
            ),
            &self.out.join("consumer.log"),
        )?;
        let ready = Instant::now();
        while scrape::get(&metrics, "/healthz").is_none() {
            if !consumer.running() {
                bail!(
                    "the consumer stopped at start; see {}",
                    self.out.join("consumer.log").display()
                );
            }
            if ready.elapsed() > Duration::from_secs(60) {
                bail!("the consumer's metrics did not answer on {metrics}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let manifest_path = self.out.join("manifest.json");
        let mut loadgen = Command::new(&self.binary);
        let rate = args.rate.to_string();
        let duration = format!("{}s", args.duration.num_seconds().max(1));
        let homes = args.homes.to_string();
        loadgen.args([
            "loadgen",
            "--stream",
            &self.stream,
            "--rate",
            &rate,
            "--duration",
            &duration,
            "--homes",
            &homes,
            "--no-progress",
            "--manifest",
        ]);
        loadgen.arg(&manifest_path);
        if let Some(endpoint) = &self.kinesis_endpoint {
            loadgen.args(["--endpoint-url", endpoint]);
        }
        if args.kpl_aggregate {
            loadgen.arg("--kpl-aggregate");
        }
        let bulk_every = args.bulk_every.to_string();
        loadgen.args(["--bulk-every", &bulk_every]);
        let t0 = Instant::now();
        let mut generator =
            Measured::spawn("load generator", loadgen, &self.out.join("loadgen.log"))?;
        let mut samples = Vec::new();
        let load_seconds = args.duration.num_seconds().max(1) as u64;
        let bar = self.bar(Some(load_seconds), "{bar:30} {pos}/{len} s of load: {msg}");
        let sample = |consumer: &mut Measured, samples: &mut Vec<Sample>| {
            consumer.sample();
            if let Some(s) = scrape::scrape(&metrics) {
                samples.push(Sample {
                    seconds: t0.elapsed().as_secs_f64(),
                    records: s.records,
                    events: s.events + s.rejected,
                    max_behind_ms: s.max_behind_ms,
                    consumer_cpu_seconds: consumer.cpu_seconds,
                    consumer_rss_mb: consumer.peak_rss as f64 / 1e6,
                });
            }
        };
        while generator.running() {
            sample(&mut consumer, &mut samples);
            bar.set_position(t0.elapsed().as_secs().min(load_seconds));
            if let Some(last) = samples.last() {
                bar.set_message(format!(
                    "the consumer read {} records, {} ms behind",
                    last.records, last.max_behind_ms
                ));
            }
            std::thread::sleep(Duration::from_millis(1000));
        }
        bar.finish_and_clear();
        let status = generator.wait(Duration::from_secs(10))?;
        if !status.success() {
            bail!(
                "the load generator failed; see {}",
                self.out.join("loadgen.log").display()
            );
        }
        let load_done = Instant::now();
        let manifest = Manifest::read(&manifest_path)?;
        eprintln!(
            "== put {} events; waiting for the consumer to read them all",
            manifest.events
        );
        let limit =
            Duration::from_secs(120) + Duration::from_secs_f64(settings.duration_seconds * 3.0);
        let bar = self.bar(
            Some(manifest.kinesis_records),
            "{bar:30} {pos}/{len} records read by the consumer",
        );
        loop {
            sample(&mut consumer, &mut samples);
            if let Some(last) = samples.last() {
                bar.set_position(last.records.min(manifest.kinesis_records));
            }
            if samples
                .last()
                .is_some_and(|s| s.records >= manifest.kinesis_records)
            {
                break;
            }
            if !consumer.running() || load_done.elapsed() > limit {
                bail!(
                    "the consumer did not read every record; see {}",
                    self.out.join("consumer.log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        bar.finish_and_clear();
        let caught_up = load_done.elapsed().as_secs_f64();
        consumer.terminate()?;
        let status = consumer.wait(Duration::from_secs(120))?;
        if !status.success() {
            bail!(
                "the consumer did not stop cleanly; see {}",
                self.out.join("consumer.log").display()
            );
        }
        let reading: Vec<&Sample> = samples.iter().filter(|s| s.events > 0).collect();
        let (first, last) = (
            reading.first(),
            samples
                .iter()
                .rev()
                .find(|s| s.records >= manifest.kinesis_records),
        );
        let live_seconds = match (first, last) {
            (Some(a), Some(b)) => (b.seconds - a.seconds).max(1.0),
            _ => settings.duration_seconds.max(1.0),
        };
        let live = Live {
            cpu_seconds: consumer.cpu_seconds,
            cpu_seconds_per_million: consumer.cpu_seconds / manifest.kinesis_records.max(1) as f64
                * 1e6,
            peak_rss_mb: consumer.peak_rss as f64 / 1e6,
            events_per_second: manifest.events as f64 / live_seconds,
            max_behind_ms: samples.iter().map(|s| s.max_behind_ms).max().unwrap_or(-1),
            caught_up_after_seconds: caught_up,
        };

        eprintln!("== checking the lake");
        let s3 = runtime.block_on(S3Settings::for_locations(
            &[&self.lake_url],
            self.s3_endpoint.clone(),
            &AwsSettings::default(),
        ))?;
        let lake = Lake::open(&self.lake_url, Some(&s3))?;
        let copy = self.out.join("lake");
        let _ = std::fs::remove_dir_all(&copy);
        let files = runtime.block_on(lake_copy::copy_lake(&lake, &copy))?;
        let mut all_rows = Vec::new();
        let mut latencies = Vec::new();
        for file in &files {
            let rows = rows::read_rows(&copy.join(&file.relative))?;
            let written = file.written.timestamp_micros();
            latencies.extend(
                rows.iter()
                    .map(|r| (written - r.arrival_micros) as f64 / 1e6),
            );
            all_rows.extend(rows);
        }
        let positions = manifest.positions(&manifest_path)?;
        let verification = verify::verify(
            &self.stream,
            manifest.kpl_aggregate,
            &positions,
            manifest.maybe_doubled_events,
            &all_rows,
        );
        eprintln!(
            "exactly once: {} ({})",
            verification.verdict(),
            verification.counts()
        );
        let duckdb_rows = self.duckdb_rows(&copy)?;
        let latency = latency::summarise(latencies);
        let queries = if args.no_queries {
            None
        } else {
            self.queries(&copy)?
        };
        let backlog = if args.no_backlog {
            None
        } else {
            Some(self.backlog(manifest.kinesis_records, manifest.events)?)
        };
        let baseline = match (&backlog, args.no_baseline) {
            // The baseline is a comparison, not part of the proof: a failure is reported and
            // the rest of the report is still written.
            (Some(backlog), false) => self
                .baseline(manifest.kinesis_records, backlog)
                .unwrap_or_else(|e| {
                    eprintln!("the baseline did not run: {e:#}");
                    None
                }),
            _ => None,
        };
        Ok(Report {
            started,
            machine: machine(),
            emulator_bound: args.target != Target::Aws,
            settings,
            load: Load {
                events: manifest.events,
                kinesis_records: manifest.kinesis_records,
                megabytes: manifest.bytes as f64 / 1e6,
                seconds: manifest.seconds,
                achieved_rate: manifest.achieved_rate,
                retried_records: manifest.retried_records,
                retried_calls: manifest.retried_calls,
            },
            live,
            verification,
            duckdb_rows,
            latency,
            backlog,
            baseline,
            queries,
            samples,
        })
    }

    /// Rows DuckDB counts in the lake copy (every table), if a Python is given.
    fn duckdb_rows(&self, copy: &Path) -> Result<Option<u64>> {
        let Some(python) = self
            .args
            .check_python
            .as_ref()
            .or(self.args.python.as_ref())
        else {
            return Ok(None);
        };
        let output = Command::new(python)
            .arg(scripts_dir().join("lake_check.py"))
            .arg("counts")
            .arg(copy)
            .output()
            .context("cannot run scripts/lake_check.py")?;
        if !output.status.success() {
            bail!(
                "DuckDB could not read the lake: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let counts: serde_json::Value = serde_json::from_slice(&output.stdout)?;
        let total = counts["counts"]
            .as_object()
            .map(|tables| {
                tables
                    .values()
                    .filter_map(|parts| parts.as_object())
                    .flat_map(|parts| parts.values())
                    .filter_map(serde_json::Value::as_u64)
                    .sum()
            })
            .unwrap_or(0);
        Ok(Some(total))
    }

    /// P2's six queries, in alarmlake and DuckDB, over the lake copy.
    fn queries(&self, copy: &Path) -> Result<Option<String>> {
        let Some(python) = &self.args.python else {
            return Ok(None);
        };
        eprintln!("== the six canonical queries");
        let output = Command::new(python)
            .arg(benches_dir().join("p2.py"))
            .arg(copy)
            .arg(&self.binary)
            .arg(benches_dir().join("p2"))
            .arg(self.out.join("queries"))
            .output()
            .context("cannot run benches/p2.py")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() {
            return Ok(Some(stdout.into_owned()));
        }
        // A failure goes into the report with its reason, so that a run elsewhere (CI) says why.
        let stderr = String::from_utf8_lossy(&output.stderr);
        eprintln!("the queries failed ({}): {stderr}", output.status);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        Ok(Some(format!(
            "**The queries failed** ({}).\n\n{stdout}\n```text\n{tail}\n```\n",
            output.status
        )))
    }

    /// The whole stream read again as a backlog by a second consumer, and by a bare loop.
    fn backlog(&self, records: u64, events: u64) -> Result<Backlog> {
        eprintln!(
            "== the backlog: {records} records read again by a fresh consumer and a bare GetRecords loop"
        );
        let lake = self.out.join("backlog-lake");
        let _ = std::fs::remove_dir_all(&lake);
        let lake = lake.to_string_lossy().into_owned();
        let mut consumer = Measured::spawn(
            "backlog consumer",
            self.consume(&lake, "alarmlake-bench-backlog", &["--drain"]),
            &self.out.join("backlog.log"),
        )?;
        let bar = self.bar(
            None,
            "{spinner} {elapsed} a fresh consumer reads the backlog",
        );
        let read = consumer.wait(Duration::from_secs(1800))?;
        bar.finish_and_clear();
        if !read.success() {
            bail!(
                "the backlog consumer failed; see {}",
                self.out.join("backlog.log").display()
            );
        }
        let bare_lake = self.out.join("bare-lake").to_string_lossy().into_owned();
        let mut bare = Measured::spawn(
            "bare read",
            self.consume(
                &bare_lake,
                "alarmlake-bench-bare",
                &["--drain", "--bench-read-only"],
            ),
            &self.out.join("bare.log"),
        )?;
        let bar = self.bar(None, "{spinner} {elapsed} a bare GetRecords loop reads it");
        let read = bare.wait(Duration::from_secs(1800))?;
        bar.finish_and_clear();
        if !read.success() {
            bail!(
                "the bare read failed; see {}",
                self.out.join("bare.log").display()
            );
        }
        let rate = |seconds: f64| records as f64 / seconds.max(1e-9);
        let per_million = |cpu: f64| cpu / events.max(1) as f64 * 1e6;
        // The consumer's own count (getrusage, to the microsecond) where it gave one: /proc
        // counts in clock ticks and rounds down, up to 20 ms of a backlog read of 80.
        let own = std::fs::read_to_string(self.out.join("backlog.log"))?
            .lines()
            .filter(|l| l.starts_with("consumed "))
            .find_map(cpu_note::parse);
        let cpu = own.map_or(consumer.cpu_seconds, |(all, _)| all);
        let after_start = own.map(|(_, after)| after);
        Ok(Backlog {
            records,
            events,
            seconds: consumer.wall_seconds,
            records_per_second: rate(consumer.wall_seconds),
            cpu_seconds: cpu,
            cpu_seconds_per_million: per_million(cpu),
            cpu_seconds_after_start: after_start,
            cpu_seconds_per_million_after_start: after_start.map(per_million),
            peak_rss_mb: consumer.peak_rss as f64 / 1e6,
            bare_seconds: bare.wall_seconds,
            bare_records_per_second: rate(bare.wall_seconds),
            p6: bare.wall_seconds / consumer.wall_seconds.max(1e-9),
        })
    }

    /// `benches/baseline_consumer.py` over the same stream.
    fn baseline(&self, records: u64, alarmlake: &Backlog) -> Result<Option<Baseline>> {
        let Some(python) = &self.args.python else {
            return Ok(None);
        };
        // `aws`: boto3's own endpoint, region and credentials.
        let endpoint = self.kinesis_endpoint.as_deref().unwrap_or("aws");
        eprintln!("== the Python baseline consumer");
        let out = self.out.join("baseline-lake");
        let _ = std::fs::remove_dir_all(&out);
        let mut command = Command::new(python);
        command
            .arg(benches_dir().join("baseline_consumer.py"))
            .args([endpoint, &self.stream])
            .arg(&out)
            .arg(records.to_string());
        let log = self.out.join("baseline.log");
        let mut process = Measured::spawn("baseline", command, &log)?;
        let bar = self.bar(
            None,
            "{spinner} {elapsed} the Python baseline reads the stream",
        );
        let read = process.wait(Duration::from_secs(3600))?;
        bar.finish_and_clear();
        if !read.success() {
            bail!("the baseline failed; see {}", log.display());
        }
        let text = std::fs::read_to_string(&log)?;
        let line = text
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .context("the baseline printed no result")?;
        let result: serde_json::Value = serde_json::from_str(line)?;
        let loop_cpu = result["loop_cpu_seconds"].as_f64().unwrap_or(0.0);
        let read = result["records"].as_u64().unwrap_or(0);
        let per_million = loop_cpu / read.max(1) as f64 * 1e6;
        let process_per_million = process.cpu_seconds / read.max(1) as f64 * 1e6;
        let alarmlake_after_start = alarmlake
            .cpu_seconds_per_million_after_start
            .unwrap_or(alarmlake.cpu_seconds_per_million);
        Ok(Some(Baseline {
            records: read,
            loop_cpu_seconds: loop_cpu,
            process_cpu_seconds: process.cpu_seconds,
            cpu_seconds_per_million: per_million,
            ratio: per_million / alarmlake_after_start.max(1e-9),
            process_ratio: process_per_million / alarmlake.cpu_seconds_per_million.max(1e-9),
        }))
    }
}

/// Re-checks an earlier run's lake copy against its manifest (used by the tests to show the
/// check fails when an event is missing).
fn verify_only(out: &Path) -> Result<bool> {
    let manifest_path = out.join("manifest.json");
    let manifest = Manifest::read(&manifest_path)?;
    let copy = out.join("lake");
    let mut rows = Vec::new();
    for file in parquet_files(&copy)? {
        rows.extend(rows::read_rows(&file)?);
    }
    let positions = manifest.positions(&manifest_path)?;
    let v = verify::verify(
        &manifest.stream,
        manifest.kpl_aggregate,
        &positions,
        manifest.maybe_doubled_events,
        &rows,
    );
    println!("exactly once: {} ({})", v.verdict(), v.counts());
    for example in &v.examples {
        println!("  {example}");
    }
    Ok(v.passed())
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(parquet_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            files.push(path);
        }
    }
    Ok(files)
}

/// The short summary printed at the end.
fn summary_table(report: &Report) -> String {
    let mut rows = vec![
        (
            "exactly once".to_string(),
            report.verification.verdict().to_string(),
        ),
        ("events put".to_string(), report.load.events.to_string()),
        (
            "put rate achieved".to_string(),
            format!("{:.0}/s", report.load.achieved_rate),
        ),
        (
            "P4 latency p50/p95/p99".to_string(),
            format!(
                "{:.1}/{:.1}/{:.1} s",
                report.latency.p50_seconds, report.latency.p95_seconds, report.latency.p99_seconds
            ),
        ),
        (
            "max MillisBehindLatest".to_string(),
            format!("{} ms", report.live.max_behind_ms),
        ),
        (
            "consumer peak RSS".to_string(),
            format!("{:.0} MB", report.live.peak_rss_mb),
        ),
    ];
    if let Some(b) = &report.backlog {
        rows.push((
            "P3 CPU s per million".to_string(),
            format!("{:.2}", b.cpu_seconds_per_million),
        ));
        if let Some(after) = b.cpu_seconds_per_million_after_start {
            rows.push(("P3 without start-up".to_string(), format!("{after:.2}")));
        }
        rows.push(("P6 vs bare read".to_string(), format!("{:.2}", b.p6)));
    }
    if let Some(b) = &report.baseline {
        rows.push((
            "baseline CPU / alarmlake CPU".to_string(),
            format!(
                "{:.1}× without start-ups, {:.1}× whole processes",
                b.ratio, b.process_ratio
            ),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}
