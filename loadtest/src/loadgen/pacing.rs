//! Pacing: an open-loop schedule for a target rate, and per-shard token buckets for Kinesis's
//! write limits (1,000 records and 1 MiB per second per shard).
//!
//! Open loop means the schedule does not wait for answers: record `i` is due at
//! `start + i / rate` whatever the stream did with the ones before. If sending falls behind,
//! the generator does not quietly slow down to what the system can take (closed-loop load hides
//! the latency it causes); it reports the rate it achieved against the target.

use std::time::{Duration, Instant};

/// When each event is due.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: Instant,
    /// Events per second; `None` is as fast as possible.
    rate: Option<f64>,
}

impl Schedule {
    pub fn new(start: Instant, rate: Option<f64>) -> Schedule {
        Schedule {
            start,
            rate: rate.filter(|r| *r > 0.0),
        }
    }

    /// When event number `n` (from 0) is due.
    pub fn due(&self, n: u64) -> Instant {
        match self.rate {
            Some(rate) => self.start + Duration::from_secs_f64(n as f64 / rate),
            None => self.start,
        }
    }
}

/// Kinesis's write limits of one shard.
pub const RECORDS_PER_SECOND: f64 = 1_000.0;
pub const BYTES_PER_SECOND: f64 = 1_048_576.0;

/// A token bucket per shard for records and bytes, holding at most one second's worth.
#[derive(Debug, Clone)]
pub struct ShardLimits {
    buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    records: f64,
    bytes: f64,
    at: Instant,
}

impl ShardLimits {
    pub fn new(shards: usize, now: Instant) -> ShardLimits {
        ShardLimits {
            buckets: vec![
                Bucket {
                    records: RECORDS_PER_SECOND,
                    bytes: BYTES_PER_SECOND,
                    at: now,
                };
                shards
            ],
        }
    }

    /// Takes one record of `bytes` from `shard`'s bucket, or says how long to wait before it
    /// can (then nothing is taken).
    pub fn take(&mut self, shard: usize, bytes: usize, now: Instant) -> Result<(), Duration> {
        let Some(bucket) = self.buckets.get_mut(shard) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.records = (bucket.records + elapsed * RECORDS_PER_SECOND).min(RECORDS_PER_SECOND);
        bucket.bytes = (bucket.bytes + elapsed * BYTES_PER_SECOND).min(BYTES_PER_SECOND);
        bucket.at = now;
        let bytes = bytes as f64;
        if bucket.records >= 1.0 && bucket.bytes >= bytes.min(BYTES_PER_SECOND) {
            bucket.records -= 1.0;
            bucket.bytes -= bytes;
            return Ok(());
        }
        let for_records = (1.0 - bucket.records).max(0.0) / RECORDS_PER_SECOND;
        let for_bytes = (bytes.min(BYTES_PER_SECOND) - bucket.bytes).max(0.0) / BYTES_PER_SECOND;
        Err(Duration::from_secs_f64(
            for_records.max(for_bytes).max(0.000_1),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spaces_events_by_the_rate() {
        let start = Instant::now();
        let schedule = Schedule::new(start, Some(500.0));
        assert_eq!(schedule.due(0), start);
        assert_eq!(schedule.due(500), start + Duration::from_secs(1));
        assert_eq!(Schedule::new(start, None).due(1_000_000), start);
    }

    #[test]
    fn a_shard_takes_a_thousand_records_a_second() {
        let start = Instant::now();
        let mut limits = ShardLimits::new(2, start);
        let mut taken = 0;
        let mut waited = None;
        for _ in 0..1_500 {
            match limits.take(0, 100, start) {
                Ok(()) => taken += 1,
                Err(wait) => {
                    waited = Some(wait);
                    break;
                }
            }
        }
        assert_eq!(taken, 1_000, "one second's worth at once");
        let wait = waited.unwrap();
        assert!(wait <= Duration::from_millis(2), "{wait:?}");
        // The other shard is unaffected, and time refills the first.
        assert!(limits.take(1, 100, start).is_ok());
        let later = start + Duration::from_millis(100);
        let refilled = (0..200)
            .filter(|_| limits.take(0, 100, later).is_ok())
            .count();
        assert_eq!(refilled, 100);
    }

    #[test]
    fn a_shard_takes_a_mebibyte_a_second() {
        let start = Instant::now();
        let mut limits = ShardLimits::new(1, start);
        let taken = (0..100)
            .filter(|_| limits.take(0, 100_000, start).is_ok())
            .count();
        assert_eq!(taken, 10);
        assert!(limits.take(0, 100_000, start).unwrap_err() > Duration::from_millis(40));
    }
}
