//! The consumer's counters: atomics, updated by the shard tasks without locks; only registering
//! a shard takes a lock. [`exposition`] renders them for Prometheus on each scrape, and
//! [`server`] serves `/metrics` and `/healthz`.
//!
//! *Why atomics under a custom collector* rather than prometheus-client's own metric types: the
//! shard reader's hot path adds a page's counts with a few relaxed adds, and the per-shard
//! gauges must vanish when a shard stops being read here, which a collector that reads the
//! live state on each scrape gives for free.

pub mod exposition;
pub mod server;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::health::Health;
use crate::lease::now_ms;

/// Upper bounds (seconds) of the event-to-durable latency histogram.
const LATENCY_BUCKETS: [f64; 12] = [
    0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 300.0, 600.0,
];

#[derive(Debug, Default)]
pub struct ShardMetrics {
    pub records: AtomicU64,
    pub events: AtomicU64,
    pub rejected: AtomicU64,
    /// Records read again to recover held late rows, whose events an earlier run counted.
    pub replayed: AtomicU64,
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

    /// Whether a reader of this process reads the shard now (its lag is a gauge only then).
    pub fn is_read(&self) -> bool {
        self.reading.load(Relaxed)
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
        if tally.replayed > 0 {
            self.replayed.fetch_add(tally.replayed, Relaxed);
        }
        if tally.unknown_fields + tally.type_changed_fields > 0 {
            self.unknown_fields.fetch_add(tally.unknown_fields, Relaxed);
            self.type_changed_fields
                .fetch_add(tally.type_changed_fields, Relaxed);
        }
    }
}

/// A latency histogram with [`LATENCY_BUCKETS`]. Each bucket counts the observations that fell
/// in it alone (not cumulatively): one add per observation, and the text format's cumulative
/// counts are summed at scrape time.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_millis: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64, n: u64) {
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(n, Relaxed);
        }
        self.count.fetch_add(n, Relaxed);
        self.sum_millis
            .fetch_add((seconds * 1000.0).max(0.0) as u64 * n, Relaxed);
    }

    /// (sum in seconds, count, per-bucket (upper bound, count)) at this moment.
    pub fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let buckets = LATENCY_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| (*bound, n.load(Relaxed)))
            .collect();
        (
            self.sum_millis.load(Relaxed) as f64 / 1000.0,
            self.count.load(Relaxed),
            buckets,
        )
    }
}

/// What all shards of this process counted (see [`ShardMetrics`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub records: u64,
    pub events: u64,
    pub rejected: u64,
    pub replayed: u64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    shards: Mutex<BTreeMap<String, Arc<ShardMetrics>>>,
    /// What `/healthz` answers.
    pub health: Health,
    /// Shard readers that failed (an error no retry cured, or a panic) and were restarted.
    pub reader_restarts: AtomicU64,
    /// From a record's arrival in the stream to the commit that made it durable.
    pub durable_latency: Histogram,
    pub commit_latency: Histogram,
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
        self.health.verdict(now_ms(), self.max_millis_behind())
    }

    /// The largest MillisBehindLatest over the shards this process reads; -1 when none is known.
    pub fn max_millis_behind(&self) -> i64 {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        shards
            .values()
            .filter(|s| s.reading.load(Relaxed))
            .map(|s| s.millis_behind_latest.load(Relaxed))
            .max()
            .unwrap_or(-1)
    }

    /// Totals over all shards.
    pub fn totals(&self) -> Totals {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let mut totals = Totals::default();
        for s in shards.values() {
            totals.records += s.records.load(Relaxed);
            totals.events += s.events.load(Relaxed);
            totals.rejected += s.rejected.load(Relaxed);
            totals.replayed += s.replayed.load(Relaxed);
        }
        totals
    }

    /// Every shard known to this process, in shard order.
    pub fn shards(&self) -> Vec<(String, Arc<ShardMetrics>)> {
        let map = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}
