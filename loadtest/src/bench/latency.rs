//! Put-to-queryable latency: for every row, the time from its arrival in the stream (Kinesis's
//! ApproximateArrivalTimestamp, set when the put was accepted) to the moment the file holding
//! it was written to the lake, which is when `alarmlake sql` can see it.

use serde::{Deserialize, Serialize};

/// Upper bounds of the histogram's buckets, in seconds (the last is open).
const BUCKETS: [f64; 12] = [
    1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 120.0,
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub rows: u64,
    pub p50_seconds: f64,
    pub p95_seconds: f64,
    pub p99_seconds: f64,
    pub max_seconds: f64,
    /// (bucket label, rows).
    pub histogram: Vec<(String, u64)>,
}

/// Summarises latencies in seconds.
pub fn summarise(mut seconds: Vec<f64>) -> Latency {
    if seconds.is_empty() {
        return Latency::default();
    }
    seconds.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        let i = ((seconds.len() as f64 - 1.0) * q).round() as usize;
        seconds[i.min(seconds.len() - 1)]
    };
    let mut histogram: Vec<(String, u64)> = Vec::new();
    let mut lower = 0.0;
    for upper in BUCKETS {
        let n = seconds
            .iter()
            .filter(|s| **s >= lower && **s < upper)
            .count() as u64;
        histogram.push((format!("{lower}–{upper} s"), n));
        lower = upper;
    }
    let last = BUCKETS[BUCKETS.len() - 1];
    histogram.push((
        format!("≥ {last} s"),
        seconds.iter().filter(|s| **s >= last).count() as u64,
    ));
    // Negative values (clock skew between the emulator and the store) count in the first bucket.
    histogram[0].1 += seconds.iter().filter(|s| **s < 0.0).count() as u64;
    while histogram.len() > 1 && histogram.last().is_some_and(|(_, n)| *n == 0) {
        histogram.pop();
    }
    Latency {
        rows: seconds.len() as u64,
        p50_seconds: at(0.50),
        p95_seconds: at(0.95),
        p99_seconds: at(0.99),
        max_seconds: seconds[seconds.len() - 1],
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_buckets() {
        let seconds: Vec<f64> = (0..100).map(|i| f64::from(i) / 10.0).collect();
        let latency = summarise(seconds);
        assert_eq!(latency.rows, 100);
        assert!((latency.p50_seconds - 5.0).abs() < 0.11, "{latency:?}");
        assert!((latency.p99_seconds - 9.8).abs() < 0.11, "{latency:?}");
        assert_eq!(latency.histogram[0], ("0–1 s".to_string(), 10));
        assert_eq!(latency.histogram.iter().map(|(_, n)| n).sum::<u64>(), 100);
        assert_eq!(latency.histogram.last().unwrap().0, "7.5–10 s");
        assert_eq!(summarise(Vec::new()), Latency::default());
    }
}
