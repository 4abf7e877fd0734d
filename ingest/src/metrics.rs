//! The consumer's counters, rendered in the Prometheus text format for `/metrics`. Counters are
//! atomics, updated by the shard tasks without locks; only registering a shard takes a lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::health::Health;
use crate::lease::now_ms;
use crate::process_usage;

/// Upper bounds (seconds) of the event-to-durable latency histogram.
const LATENCY_BUCKETS: [f64; 12] = [
    0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 300.0, 600.0,
];

/// A per-shard counter's name, help text and value.
type Counter = (&'static str, &'static str, fn(&ShardMetrics) -> &AtomicU64);

#[derive(Debug, Default)]
pub struct ShardMetrics {
    pub records: AtomicU64,
    pub events: AtomicU64,
    pub rejected: AtomicU64,
    /// Event fields no decoder knows, kept in `extra` (schema drift).
    pub unknown_fields: AtomicU64,
    /// Known fields whose value had an unusable type, kept in `extra` (schema drift).
    pub type_changed_fields: AtomicU64,
    pub bytes: AtomicU64,
    pub files: AtomicU64,
    pub commits: AtomicU64,
    pub read_errors: AtomicU64,
    /// -1 until the first GetRecords answers.
    pub millis_behind_latest: AtomicI64,
    /// A reader of this process reads the shard now. Only then is its lag a gauge: a shard
    /// that ended or moved to another worker would otherwise report its last lag forever.
    reading: AtomicBool,
}

/// Marks a shard as read by this process for as long as it lives (see [`ShardMetrics::reading`]).
pub struct Reading(Arc<ShardMetrics>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.reading.store(false, Relaxed);
        self.0.millis_behind_latest.store(-1, Relaxed);
    }
}

impl ShardMetrics {
    /// The shard is read from now until the returned guard drops (the reader returns, fails
    /// or panics).
    pub fn start_reading(self: &Arc<ShardMetrics>) -> Reading {
        self.reading.store(true, Relaxed);
        Reading(Arc::clone(self))
    }
}

impl ShardMetrics {
    /// Counts a GetRecords page: its records and bytes, and how far behind the tip it was.
    /// Kept per page, not per record: the reader's loop is the consumer's hot path.
    pub fn read_page(&self, records: &[alarmlake_schemas::RawRecord], behind: Option<i64>) {
        if let Some(behind) = behind {
            self.millis_behind_latest.store(behind, Relaxed);
        }
        self.records.fetch_add(records.len() as u64, Relaxed);
        self.bytes
            .fetch_add(records.iter().map(|r| r.data.len() as u64).sum(), Relaxed);
    }

    /// Adds the outcomes of some records: events, rejects and schema-drift fields.
    pub fn count(&self, tally: &alarmlake_schemas::Tally) {
        self.events.fetch_add(tally.events, Relaxed);
        self.rejected.fetch_add(tally.rejected, Relaxed);
        if tally.unknown_fields + tally.type_changed_fields > 0 {
            self.unknown_fields.fetch_add(tally.unknown_fields, Relaxed);
            self.type_changed_fields
                .fetch_add(tally.type_changed_fields, Relaxed);
        }
    }
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_millis: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64, n: u64) {
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(n, Relaxed);
            }
        }
        self.count.fetch_add(n, Relaxed);
        self.sum_millis
            .fetch_add((seconds * 1000.0).max(0.0) as u64 * n, Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_millis.load(Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    shards: Mutex<BTreeMap<String, Arc<ShardMetrics>>>,
    /// What `/healthz` answers.
    pub health: Health,
    /// Shard readers that failed (an error no retry cured, or a panic) and were restarted.
    pub reader_restarts: AtomicU64,
    /// From a record's arrival in the stream to the commit that made it durable.
    durable_latency: Histogram,
    commit_latency: Histogram,
}

impl Metrics {
    /// The counters of `shard_id`, created on first use.
    pub fn shard(&self, shard_id: &str) -> Arc<ShardMetrics> {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        shards
            .entry(shard_id.to_string())
            .or_insert_with(|| {
                Arc::new(ShardMetrics {
                    millis_behind_latest: AtomicI64::new(-1),
                    ..ShardMetrics::default()
                })
            })
            .clone()
    }

    /// `records` became durable `seconds` after they arrived in the stream.
    pub fn observe_durable(&self, seconds: f64, records: u64) {
        self.durable_latency.observe(seconds, records);
    }

    pub fn observe_commit(&self, seconds: f64) {
        self.commit_latency.observe(seconds, 1);
    }

    /// `/healthz`: `Err(reason)` when the consumer makes no progress (see [`Health`]).
    pub fn healthz(&self) -> Result<(), String> {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let max_behind = shards
            .values()
            .filter(|s| s.reading.load(Relaxed))
            .map(|s| s.millis_behind_latest.load(Relaxed))
            .max()
            .unwrap_or(-1);
        drop(shards);
        self.health.verdict(now_ms(), max_behind)
    }

    /// Totals over all shards: (records, events, rejected).
    pub fn totals(&self) -> (u64, u64, u64) {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        shards.values().fold((0, 0, 0), |(r, e, x), s| {
            (
                r + s.records.load(Relaxed),
                e + s.events.load(Relaxed),
                x + s.rejected.load(Relaxed),
            )
        })
    }

    /// Everything, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let shards: Vec<(String, Arc<ShardMetrics>)> = {
            let map = self.shards.lock().unwrap_or_else(|e| e.into_inner());
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut out = String::new();
        #[rustfmt::skip]
        let counters: [Counter; 9] = [
            ("alarmlake_records_total", "Kinesis records read", |s| &s.records),
            ("alarmlake_events_total", "events decoded", |s| &s.events),
            ("alarmlake_rejected_total", "records or events sent to dead_letters", |s| &s.rejected),
            ("alarmlake_unknown_fields_total", "event fields no decoder knows, kept in the extra column", |s| &s.unknown_fields),
            ("alarmlake_type_changed_fields_total", "known fields with a value of another type, kept in the extra column", |s| &s.type_changed_fields),
            ("alarmlake_bytes_total", "record bytes read", |s| &s.bytes),
            ("alarmlake_files_total", "Parquet files written", |s| &s.files),
            ("alarmlake_commits_total", "checkpoint commits", |s| &s.commits),
            ("alarmlake_read_errors_total", "GetRecords calls that failed and were retried", |s| &s.read_errors),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (shard, m) in &shards {
                let _ = writeln!(
                    out,
                    "{name}{{shard=\"{shard}\"}} {}",
                    value(m).load(Relaxed)
                );
            }
        }
        let name = "alarmlake_millis_behind_latest";
        let _ = writeln!(
            out,
            "# HELP {name} MillisBehindLatest of the last GetRecords, for the shards this process reads\n# TYPE {name} gauge"
        );
        let mut max = -1;
        for (shard, m) in shards.iter().filter(|(_, m)| m.reading.load(Relaxed)) {
            let behind = m.millis_behind_latest.load(Relaxed);
            max = max.max(behind);
            let _ = writeln!(out, "{name}{{shard=\"{shard}\"}} {behind}");
        }
        let _ = writeln!(
            out,
            "# HELP alarmlake_max_millis_behind_latest the largest MillisBehindLatest over shards\n\
             # TYPE alarmlake_max_millis_behind_latest gauge\nalarmlake_max_millis_behind_latest {max}"
        );
        let _ = writeln!(
            out,
            "# HELP alarmlake_reader_restarts_total shard readers that failed and were restarted from their checkpoint\n\
             # TYPE alarmlake_reader_restarts_total counter\nalarmlake_reader_restarts_total {}",
            self.reader_restarts.load(Relaxed)
        );
        self.durable_latency.render(
            "alarmlake_event_to_durable_seconds",
            "from arrival in the stream to the commit that made a record durable",
            &mut out,
        );
        self.commit_latency.render(
            "alarmlake_commit_seconds",
            "intent, file writes and commit of one flush",
            &mut out,
        );
        render_process(&mut out);
        out
    }
}

/// The standard process metrics of Prometheus clients, so dashboards built for them work here:
/// CPU per record is `process_cpu_seconds_total` over `alarmlake_records_total`.
fn render_process(out: &mut String) {
    if let Some(cpu) = process_usage::cpu_seconds() {
        let _ = writeln!(
            out,
            "# HELP process_cpu_seconds_total user and system CPU time of the process\n\
             # TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {cpu}"
        );
    }
    if let Some(bytes) = process_usage::resident_bytes() {
        let _ = writeln!(
            out,
            "# HELP process_resident_memory_bytes resident memory of the process\n\
             # TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {bytes}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_per_shard_and_a_histogram() {
        let metrics = Metrics::default();
        let shard = metrics.shard("shardId-000000000000");
        let reading = shard.start_reading();
        shard.records.fetch_add(5, Relaxed);
        shard.millis_behind_latest.store(1200, Relaxed);
        let other = metrics.shard("shardId-000000000001");
        let other_reading = other.start_reading();
        other.millis_behind_latest.store(90_000, Relaxed);
        // That reader ended (or its shard moved to another worker): its lag is no gauge.
        drop(other_reading);
        metrics.observe_durable(3.0, 5);
        let text = metrics.render();
        assert!(text.contains("alarmlake_records_total{shard=\"shardId-000000000000\"} 5"));
        assert!(text.contains("alarmlake_records_total{shard=\"shardId-000000000001\"} 0"));
        assert!(text.contains("alarmlake_max_millis_behind_latest 1200"));
        assert!(
            text.contains("alarmlake_millis_behind_latest{shard=\"shardId-000000000000\"} 1200")
        );
        assert!(!text.contains("alarmlake_millis_behind_latest{shard=\"shardId-000000000001\"}"));
        drop(reading);
        assert!(text.contains("alarmlake_event_to_durable_seconds_bucket{le=\"2\"} 0"));
        assert!(text.contains("alarmlake_event_to_durable_seconds_bucket{le=\"5\"} 5"));
        assert!(text.contains("alarmlake_event_to_durable_seconds_count 5"));
        assert_eq!(metrics.totals(), (5, 0, 0));
        let cpu = text
            .lines()
            .find_map(|l| l.strip_prefix("process_cpu_seconds_total "))
            .expect("process CPU is rendered");
        assert!(cpu.parse::<f64>().is_ok_and(|s| s > 0.0), "{cpu}");
        let resident = text
            .lines()
            .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
            .expect("resident memory is rendered");
        assert!(
            resident.parse::<u64>().is_ok_and(|b| b > 1 << 20),
            "{resident}"
        );
    }
}
