//! What `/healthz` answers: 503 with the reason when the consumer has stopped making progress,
//! 200 otherwise.
//!
//! Unhealthy means either of:
//! - the consumer is behind (some shard's MillisBehindLatest is above zero) and no shard has
//!   committed for three flush intervals: records wait and nothing moves them;
//! - lake writes (files, commits, checkpoints) have failed, without a successful commit since,
//!   for longer than three flush intervals.
//!
//! Three intervals, because one late flush is normal (a slow store, a large commit) and an
//! orchestrator that restarts on the first one would restart healthy consumers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;

use crate::lease::now_ms;

#[derive(Debug)]
pub struct Health {
    /// Three flush intervals, in ms.
    window_ms: AtomicI64,
    /// The last successful commit of any shard (start time until the first).
    last_commit_ms: AtomicI64,
    /// When lake writes began failing; 0 while they succeed.
    failing_since_ms: AtomicI64,
    last_failure: Mutex<String>,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            window_ms: AtomicI64::new(3 * 60_000),
            last_commit_ms: AtomicI64::new(now_ms()),
            failing_since_ms: AtomicI64::new(0),
            last_failure: Mutex::new(String::new()),
        }
    }
}

impl Health {
    /// The consumer flushes every `interval`; the window is three of them.
    pub fn set_flush_interval(&self, interval: Duration) {
        self.window_ms
            .store(3 * interval.as_millis() as i64, Relaxed);
        self.last_commit_ms.store(now_ms(), Relaxed);
    }

    pub fn committed(&self) {
        self.last_commit_ms.store(now_ms(), Relaxed);
        self.failing_since_ms.store(0, Relaxed);
    }

    /// A lake write failed (and is retried, or its reader restarted).
    pub fn write_failed(&self, error: &dyn std::fmt::Display) {
        let _ = self
            .failing_since_ms
            .compare_exchange(0, now_ms(), Relaxed, Relaxed);
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = error.to_string();
    }

    /// `Err(reason)` when unhealthy at `now_ms`, given the largest MillisBehindLatest of the
    /// shards this process reads (-1: none known).
    pub fn verdict(&self, now_ms: i64, max_behind_ms: i64) -> Result<(), String> {
        let window = self.window_ms.load(Relaxed);
        let failing_since = self.failing_since_ms.load(Relaxed);
        if failing_since > 0 && now_ms - failing_since > window {
            let error = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            return Err(format!(
                "lake writes have failed for {} s (longer than 3 flush intervals, {} s): {error}",
                (now_ms - failing_since) / 1000,
                window / 1000
            ));
        }
        let quiet = now_ms - self.last_commit_ms.load(Relaxed);
        if max_behind_ms > 0 && quiet > window {
            return Err(format!(
                "{} s behind the stream and no shard has committed for {} s (3 flush intervals: {} s)",
                max_behind_ms / 1000,
                quiet / 1000,
                window / 1000
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(window_ms: i64, last_commit_ms: i64) -> Health {
        let health = Health::default();
        health.window_ms.store(window_ms, Relaxed);
        health.last_commit_ms.store(last_commit_ms, Relaxed);
        health
    }

    #[test]
    fn behind_without_commits_for_three_intervals_is_unhealthy() {
        let health = health(3_000, 10_000);
        assert_eq!(health.verdict(12_000, 5_000), Ok(()), "inside the window");
        assert_eq!(
            health.verdict(14_000, 0),
            Ok(()),
            "caught up: nothing to commit"
        );
        assert_eq!(health.verdict(14_000, -1), Ok(()), "no shard read yet");
        let reason = health.verdict(14_000, 5_000).unwrap_err();
        assert!(reason.contains("5 s behind"), "{reason}");
    }

    #[test]
    fn failing_writes_are_unhealthy_until_a_commit_succeeds() {
        let health = health(3_000, now_ms());
        health.write_failed(&"AccessDenied");
        let since = health.failing_since_ms.load(Relaxed);
        assert_eq!(health.verdict(since + 1_000, 0), Ok(()));
        let reason = health.verdict(since + 4_000, 0).unwrap_err();
        assert!(reason.contains("AccessDenied"), "{reason}");
        health.write_failed(&"again");
        assert_eq!(
            health.failing_since_ms.load(Relaxed),
            since,
            "first failure kept"
        );
        health.committed();
        assert_eq!(health.verdict(since + 4_000, 0), Ok(()));
    }
}
