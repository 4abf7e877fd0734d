//! The benchmark's report: `report.json` (every figure), `report.md` (for people, with the
//! charts) and the charts themselves, drawn with plotters.

use std::fmt::Write as _;
use std::path::Path;

use alarmlake_query::charts::{self, Histogram, Lines};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::latency::Latency;
use super::verify::Verification;

/// The settings of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub target: String,
    pub stream: String,
    pub lake: String,
    pub shards: i32,
    pub rate: f64,
    pub duration_seconds: f64,
    pub homes: usize,
    pub kpl_aggregate: bool,
    pub flush_seconds: u64,
    /// How the consumers read the stream: polling or enhanced fan-out.
    #[serde(default)]
    pub reader: String,
}

/// The load generator's side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Load {
    pub events: u64,
    pub kinesis_records: u64,
    pub megabytes: f64,
    pub seconds: f64,
    pub achieved_rate: f64,
    pub retried_records: u64,
    pub retried_calls: u64,
}

/// The consumer while the load ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Live {
    pub cpu_seconds: f64,
    pub cpu_seconds_per_million: f64,
    pub peak_rss_mb: f64,
    /// Events per second over the time it was reading.
    pub events_per_second: f64,
    pub max_behind_ms: i64,
    /// From the load generator's end to the consumer having read everything.
    pub caught_up_after_seconds: f64,
}

/// A second consumer reading the whole stream as a backlog, and a bare GetRecords loop.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Backlog {
    /// Kinesis records (the rates are in these).
    pub records: u64,
    /// User records: more than `records` when they were KPL-aggregated (CPU is per these).
    pub events: u64,
    pub seconds: f64,
    pub records_per_second: f64,
    /// The whole process's CPU, as the consumer counted it at its end (else from /proc).
    pub cpu_seconds: f64,
    /// P3: per million events.
    pub cpu_seconds_per_million: f64,
    /// The consumer's own count of its CPU after start-up (its clients built), as the Python
    /// baseline's loop is measured; `None` where the platform does not say.
    #[serde(default)]
    pub cpu_seconds_after_start: Option<f64>,
    /// The same per million events.
    #[serde(default)]
    pub cpu_seconds_per_million_after_start: Option<f64>,
    pub peak_rss_mb: f64,
    pub bare_seconds: f64,
    pub bare_records_per_second: f64,
    /// P6: the consumer's rate over the bare loop's.
    pub p6: f64,
}

/// The Python consumer a user might write today, over the same stream.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub records: u64,
    /// CPU of its read-decode-write loop (interpreter start-up and imports left out).
    pub loop_cpu_seconds: f64,
    pub process_cpu_seconds: f64,
    pub cpu_seconds_per_million: f64,
    /// Baseline CPU per record over alarmlake's backlog CPU per record, both without start-up:
    /// the baseline's loop against alarmlake's CPU after start-up (against its whole process
    /// where that is not known).
    pub ratio: f64,
    /// The same with both whole processes: interpreter, imports and start-up included.
    #[serde(default)]
    pub process_ratio: f64,
}

/// One sample of the run, every second.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sample {
    pub seconds: f64,
    pub records: u64,
    pub events: u64,
    pub max_behind_ms: i64,
    pub consumer_cpu_seconds: f64,
    pub consumer_rss_mb: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub started: DateTime<Utc>,
    pub machine: String,
    pub settings: Settings,
    /// Whether an emulator, not alarmlake, limits throughput and lag.
    pub emulator_bound: bool,
    pub load: Load,
    pub live: Live,
    pub verification: Verification,
    /// Rows DuckDB counts in the lake (all tables).
    pub duckdb_rows: Option<u64>,
    /// P4.
    pub latency: Latency,
    pub backlog: Option<Backlog>,
    pub baseline: Option<Baseline>,
    /// P2's six queries on this lake, as `benches/p2.py` prints them.
    pub queries: Option<String>,
    pub samples: Vec<Sample>,
}

pub const THROUGHPUT_CHART: &str = "throughput.png";
pub const LAG_CHART: &str = "lag.png";
pub const LATENCY_CHART: &str = "latency.png";

impl Report {
    /// Writes report.json, report.md and the charts into `out`.
    pub fn write(&self, out: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(out.join("report.json"), json).context("cannot write report.json")?;
        self.charts(out)?;
        std::fs::write(out.join("report.md"), self.markdown()).context("cannot write report.md")?;
        Ok(())
    }

    fn charts(&self, out: &Path) -> Result<()> {
        let mut throughput = Vec::new();
        for pair in self.samples.windows(2) {
            let dt = (pair[1].seconds - pair[0].seconds).max(1e-3);
            let rate = pair[1].events.saturating_sub(pair[0].events) as f64 / dt;
            throughput.push((pair[1].seconds, rate));
        }
        charts::write_lines(
            Lines {
                title: "Consumer throughput".into(),
                y_desc: "events per second".into(),
                series: vec![
                    ("events read per second".into(), throughput),
                    (
                        "target put rate".into(),
                        vec![
                            (0.0, self.settings.rate),
                            (self.settings.duration_seconds, self.settings.rate),
                        ],
                    ),
                ],
            },
            &out.join(THROUGHPUT_CHART),
            None,
        )?;
        let lag = self
            .samples
            .iter()
            .filter(|s| s.max_behind_ms >= 0)
            .map(|s| (s.seconds, s.max_behind_ms as f64))
            .collect();
        charts::write_lines(
            Lines {
                title: "How far behind the consumer was".into(),
                y_desc: "max MillisBehindLatest (ms)".into(),
                series: vec![("max over shards".into(), lag)],
            },
            &out.join(LAG_CHART),
            None,
        )?;
        charts::write_histogram(
            Histogram {
                title: "Put → queryable latency".into(),
                x_desc: "seconds from the put to the row being visible to alarmlake sql".into(),
                buckets: self.latency.histogram.clone(),
            },
            &out.join(LATENCY_CHART),
            None,
        )?;
        Ok(())
    }

    /// The report for people.
    pub fn markdown(&self) -> String {
        let s = &self.settings;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# alarmlake bench: {} ({})\n",
            s.target,
            self.started.format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(md, "- Machine: {}", self.machine);
        let _ = writeln!(
            md,
            "- Load: {} homes, {} shards, target {:.0} events/s for {:.0} s{}, stream `{}`, lake `{}`, consumer flushing every {} s, reading by {}",
            s.homes,
            s.shards,
            s.rate,
            s.duration_seconds,
            if s.kpl_aggregate {
                ", KPL-aggregated"
            } else {
                ""
            },
            s.stream,
            s.lake,
            s.flush_seconds,
            s.reader
        );
        let v = &self.verification;
        let _ = writeln!(
            md,
            "- Exactly once: **{}**: {}{}",
            v.verdict(),
            v.counts(),
            self.duckdb_rows
                .map_or(String::new(), |n| format!("; DuckDB counts {n} rows"))
        );
        if self.emulator_bound {
            let _ = writeln!(
                md,
                "- **Emulator-bound**: throughput, lag and the bare read rate are limits of the emulator on this machine, not of alarmlake; CPU per record is alarmlake's own"
            );
        }
        let _ = writeln!(md, "\n## Headline\n\n| figure | value |\n|---|---:|");
        if let Some(b) = &self.backlog {
            let _ = writeln!(
                md,
                "| P3: consumer CPU s per million events (backlog of {} events in {} records) | **{:.2}** |",
                b.events, b.records, b.cpu_seconds_per_million
            );
            if let Some(after) = b.cpu_seconds_per_million_after_start {
                let _ = writeln!(
                    md,
                    "| the same without the consumer's start-up | {after:.2} |"
                );
            }
        }
        let l = &self.latency;
        let _ = writeln!(
            md,
            "| P4: put → queryable latency p50 / p95 / p99 | **{:.1} / {:.1} / {:.1} s** |",
            l.p50_seconds, l.p95_seconds, l.p99_seconds
        );
        if let Some(b) = &self.backlog {
            let bound = if self.emulator_bound {
                " (emulator-bound)"
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "| P6: consumer {:.0} vs bare GetRecords {:.0} records/s{bound} | **{:.2}** |",
                b.records_per_second, b.bare_records_per_second, b.p6
            );
        }
        if let Some(b) = &self.baseline {
            let _ = writeln!(
                md,
                "| CPU per record, Python boto3 baseline over alarmlake, both without start-up | **{:.1}×** |",
                b.ratio
            );
            let _ = writeln!(
                md,
                "| the same, both whole processes | {:.1}× |",
                b.process_ratio
            );
        }
        let live = &self.live;
        let _ = writeln!(
            md,
            "| put rate achieved (target {:.0}) | {:.0} events/s |",
            s.rate, self.load.achieved_rate
        );
        let _ = writeln!(
            md,
            "| consumer while the load ran | {:.0} events/s, {:.2} CPU s per million, peak RSS {:.0} MB |",
            live.events_per_second, live.cpu_seconds_per_million, live.peak_rss_mb
        );
        let _ = writeln!(
            md,
            "| largest MillisBehindLatest | {} ms |",
            live.max_behind_ms
        );
        let _ = writeln!(
            md,
            "| caught up after the load ended | {:.1} s |",
            live.caught_up_after_seconds
        );
        let _ = writeln!(
            md,
            "\n![throughput]({THROUGHPUT_CHART})\n\n![lag]({LAG_CHART})\n\n![latency]({LATENCY_CHART})\n"
        );
        let _ = writeln!(
            md,
            "Latency is measured per row, from its arrival time (ApproximateArrivalTimestamp, set when Kinesis accepted the put) to the time the store says the file holding it was written; S3 gives that time to the second. It is mostly the consumer's flush interval ({} s here).",
            s.flush_seconds
        );
        if let Some(b) = &self.backlog {
            let _ = writeln!(
                md,
                "\n## Backlog read (P3, P6)\n\nA second consumer (its own app name and lake) read the whole stream from the start: {} records in {:.2} s ({:.0} records/s), {:.3} CPU s ({}), peak RSS {:.0} MB. A bare GetRecords loop (`consume --bench-read-only`) read them in {:.2} s ({:.0} records/s).",
                b.records,
                b.seconds,
                b.records_per_second,
                b.cpu_seconds,
                b.cpu_seconds_after_start.map_or_else(
                    || "its CPU after start-up was not reported".to_string(),
                    |after| format!("{after:.3} of them after its start-up")
                ),
                b.peak_rss_mb,
                b.bare_seconds,
                b.bare_records_per_second
            );
        }
        if let Some(b) = &self.baseline {
            let _ = writeln!(
                md,
                "\n## Baseline: a Python consumer\n\n`benches/baseline_consumer.py` (boto3 GetRecords loop, `json`, pyarrow Parquet with zstd) read the same {} records with {:.2} CPU s in its loop ({:.2} CPU s per million; {:.2} CPU s for the whole process with imports). Its loop starts after its imports and its client, so it is compared with alarmlake's CPU after start-up: **{:.1}×** the CPU per record of alarmlake's backlog consumer. Whole process against whole process, start-ups included: {:.1}×.",
                b.records,
                b.loop_cpu_seconds,
                b.cpu_seconds_per_million,
                b.process_cpu_seconds,
                b.ratio,
                b.process_ratio
            );
        }
        if let Some(queries) = &self.queries {
            let _ = writeln!(
                md,
                "\n## The six canonical queries on this lake\n\n{queries}"
            );
        }
        if !v.examples.is_empty() {
            let _ = writeln!(md, "\n## Problems found\n");
            for example in &v.examples {
                let _ = writeln!(md, "- {example}");
            }
        }
        md
    }
}
