//! The consumer's metrics as a `prometheus-client` [`Registry`]: two collectors read the live
//! counters on each scrape, and the crate's encoder writes the Prometheus text format.
//!
//! *Why collectors:* a shard this process no longer reads (it ended, or its lease moved to
//! another worker) must drop out of the lag gauges at once. Reading the shard table on each
//! scrape gives that without unregistering anything, and the counters stay plain atomics on
//! the hot path.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::{Histogram, Metrics, ShardMetrics};
use crate::process_usage;

/// The `Content-Type` of what [`render`] writes.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// A per-shard counter: its name without `_total` (the encoder adds it), help, and value.
type ShardCounter = (&'static str, &'static str, fn(&ShardMetrics) -> &AtomicU64);

#[rustfmt::skip]
const SHARD_COUNTERS: [ShardCounter; 10] = [
    ("alarmlake_records", "Kinesis records read", |s| &s.records),
    ("alarmlake_events", "events decoded", |s| &s.events),
    ("alarmlake_rejected", "records or events sent to dead_letters", |s| &s.rejected),
    ("alarmlake_replayed_records", "records read again after a restart to recover rows held in late hours; their events were counted by the run that first read them", |s| &s.replayed),
    ("alarmlake_unknown_fields", "event fields no decoder knows, kept in the extra column", |s| &s.unknown_fields),
    ("alarmlake_type_changed_fields", "known fields with a value of another type, kept in the extra column", |s| &s.type_changed_fields),
    ("alarmlake_bytes", "record bytes read", |s| &s.bytes),
    ("alarmlake_files", "Parquet files written", |s| &s.files),
    ("alarmlake_commits", "checkpoint commits", |s| &s.commits),
    ("alarmlake_read_errors", "GetRecords calls that failed and were retried", |s| &s.read_errors),
];

/// The registry `/metrics` encodes: the consumer's metrics and the process's.
pub fn registry(metrics: Arc<Metrics>) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ConsumerCollector(metrics)));
    registry.register_collector(Box::new(ProcessCollector));
    registry
}

/// The registry in the Prometheus text format (version 0.0.4).
pub fn render(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail; an encoder error would be a bug in a collector.
    if let Err(error) = prometheus_text::encode(&mut text, registry) {
        tracing::error!(%error, "encoding the metrics failed");
    }
    text
}

#[derive(Debug)]
struct ConsumerCollector(Arc<Metrics>);

impl Collector for ConsumerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let metrics = &self.0;
        let shards = metrics.shards();
        for (name, help, value) in SHARD_COUNTERS {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (shard, m) in &shards {
                ConstCounter::new(value(m).load(Relaxed))
                    .encode(family.encode_family(&[("shard", shard.as_str())])?)?;
            }
        }
        let mut lag = encoder.encode_descriptor(
            "alarmlake_millis_behind_latest",
            "MillisBehindLatest of the last GetRecords, for the shards this process reads",
            None,
            MetricType::Gauge,
        )?;
        // The maximum is taken from the gauges written here, so one scrape never shows a
        // maximum that none of its shards has.
        let mut max_behind = -1;
        for (shard, m) in shards.iter().filter(|(_, m)| m.is_read()) {
            let behind = m.millis_behind_latest.load(Relaxed);
            max_behind = max_behind.max(behind);
            ConstGauge::new(behind).encode(lag.encode_family(&[("shard", shard.as_str())])?)?;
        }
        gauge(
            &mut encoder,
            "alarmlake_max_millis_behind_latest",
            "the largest MillisBehindLatest over the shards this process reads; -1 before the first answer",
            max_behind,
        )?;
        ConstCounter::new(metrics.reader_restarts.load(Relaxed)).encode(
            encoder.encode_descriptor(
                "alarmlake_reader_restarts",
                "shard readers that failed and were restarted from their checkpoint",
                None,
                MetricType::Counter,
            )?,
        )?;
        histogram(
            &mut encoder,
            "alarmlake_event_to_durable_seconds",
            "from a record's arrival in the stream to the commit that made it durable",
            &metrics.durable_latency,
        )?;
        histogram(
            &mut encoder,
            "alarmlake_commit_seconds",
            "intent, file writes and commit of one flush",
            &metrics.commit_latency,
        )?;
        let mut build = encoder.encode_descriptor(
            "alarmlake_build_info",
            "the alarmlake version serving these metrics",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(1i64)
            .encode(build.encode_family(&[("version", env!("CARGO_PKG_VERSION"))])?)
    }
}

/// The standard process metrics of Prometheus clients, so dashboards built for them work here:
/// CPU per record is `process_cpu_seconds_total` over `alarmlake_records_total`.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        if let Some(cpu) = process_usage::cpu_seconds() {
            ConstCounter::new(cpu).encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "user and system CPU time of the process",
                None,
                MetricType::Counter,
            )?)?;
        }
        if let Some(bytes) = process_usage::resident_bytes() {
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "resident memory of the process",
                bytes,
            )?;
        }
        Ok(())
    }
}

fn gauge<V>(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: V) -> fmt::Result
where
    ConstGauge<V>: EncodeMetric,
{
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

fn histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    histogram: &Histogram,
) -> fmt::Result {
    let (sum, count, buckets) = histogram.snapshot();
    encoder
        .encode_descriptor(name, help, None, MetricType::Histogram)?
        .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample `series` (name and labels exactly as written) in `text`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
    }

    #[test]
    fn renders_counters_per_shard_lag_for_shards_read_here_and_histograms() {
        let metrics = Arc::new(Metrics::default());
        let registry = registry(metrics.clone());
        let shard = metrics.shard("shardId-000000000000");
        let reading = shard.start_reading();
        shard.records.fetch_add(5, Relaxed);
        shard.millis_behind_latest.store(1200, Relaxed);
        let other = metrics.shard("shardId-000000000001");
        let other_reading = other.start_reading();
        other.millis_behind_latest.store(90_000, Relaxed);
        assert_eq!(metrics.max_millis_behind(), 90_000);
        // That reader ended (or its shard moved to another worker): its lag is no gauge.
        drop(other_reading);
        metrics.observe_durable(3.0, 5);
        metrics.observe_durable(0.2, 1);
        metrics.observe_durable(4000.0, 1);
        let text = render(&registry);

        let records = |shard: &str| {
            sample(
                &text,
                &format!("alarmlake_records_total{{shard=\"{shard}\"}}"),
            )
        };
        assert_eq!(records("shardId-000000000000"), Some(5.0));
        assert_eq!(records("shardId-000000000001"), Some(0.0));
        assert!(
            text.contains("# TYPE alarmlake_records_total counter"),
            "{text}"
        );
        assert_eq!(
            sample(&text, "alarmlake_max_millis_behind_latest"),
            Some(1200.0)
        );
        let lag = |shard: &str| {
            sample(
                &text,
                &format!("alarmlake_millis_behind_latest{{shard=\"{shard}\"}}"),
            )
        };
        assert_eq!(lag("shardId-000000000000"), Some(1200.0));
        assert_eq!(lag("shardId-000000000001"), None);

        // Cumulative buckets: 0.2 s in every bucket, 3 s from le=5 on, 4000 s only in +Inf.
        let bucket = |le: &str| {
            sample(
                &text,
                &format!("alarmlake_event_to_durable_seconds_bucket{{le=\"{le}\"}}"),
            )
        };
        assert_eq!(bucket("0.5"), Some(1.0));
        assert_eq!(bucket("2"), Some(1.0));
        assert_eq!(bucket("5"), Some(6.0));
        assert_eq!(bucket("600"), Some(6.0));
        assert_eq!(bucket("+Inf"), Some(7.0));
        assert_eq!(
            sample(&text, "alarmlake_event_to_durable_seconds_count"),
            Some(7.0)
        );
        assert_eq!(
            sample(&text, "alarmlake_event_to_durable_seconds_sum"),
            Some(4015.2)
        );
        assert_eq!(sample(&text, "alarmlake_commit_seconds_count"), Some(0.0));
        assert_eq!(sample(&text, "alarmlake_reader_restarts_total"), Some(0.0));
        assert_eq!(metrics.totals().records, 5);

        assert!(
            sample(&text, "process_cpu_seconds_total").is_some_and(|s| s > 0.0),
            "{text}"
        );
        assert!(
            sample(&text, "process_resident_memory_bytes").is_some_and(|b| b > f64::from(1 << 20)),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                &format!(
                    "alarmlake_build_info{{version=\"{}\"}}",
                    env!("CARGO_PKG_VERSION")
                )
            ),
            Some(1.0)
        );

        // The last reader ends: no lag gauge is left, and the maximum is unknown again.
        drop(reading);
        let text = render(&registry);
        assert!(!text.contains("alarmlake_millis_behind_latest{"), "{text}");
        assert_eq!(
            sample(&text, "alarmlake_max_millis_behind_latest"),
            Some(-1.0)
        );
    }
}
