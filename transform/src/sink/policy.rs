//! When buffers become files: the one flush policy of every source.
//!
//! Two questions, over the same settings ([`WriterConfig`]):
//! - [`due_partitions`]: which hour buffers are due. A buffer is due when it reaches the row
//!   count, the size target or the maximum age, whichever comes first. The number of open
//!   partitions and the buffered bytes are capped: past either cap the oldest buffers are due
//!   too. That keeps memory bounded whatever the input does, and keeps late events from making
//!   one tiny file each: a late hour stays open and collects its stragglers until it is the
//!   oldest. Sources that can write some hours and keep others (files, ser2sock) ask this.
//! - [`whole_due`]: whether everything buffered is due. A checkpointed source (a Kinesis
//!   shard) commits a position, so it writes all it holds at once, when the whole reaches the
//!   size target or the row count, or at the first tick of the process's flush clock after its
//!   first record (ticks every maximum age, so no record waits longer). Its late rows are the
//!   exception (`late_rows.rs`): they are held per hour and written by [`due_partitions`] too,
//!   with the late hold as their maximum age, as a file source writes its hours.
//!
//! *Why a shared clock:* every shard of a process then flushes at the same ticks, so their
//! commits to a table are grouped into one (a flush round, `delta::Rounds`): a 64-shard
//! consumer makes one commit per table per interval instead of 64, and the log stays short.

use std::time::Instant;

use crate::partition::PartitionKey;
use crate::writer::WriterConfig;

use super::Pending;

/// One hour's buffer, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BufferState {
    pub key: PartitionKey,
    pub opened: Instant,
    pub rows: usize,
    pub bytes: usize,
}

/// The partitions due at `now`: those past a limit, then the oldest others until the rest
/// fit the caps.
pub(crate) fn due_partitions(
    buffers: &[BufferState],
    config: &WriterConfig,
    now: Instant,
) -> Vec<PartitionKey> {
    let mut due: Vec<PartitionKey> = buffers
        .iter()
        .filter(|b| {
            b.rows >= config.max_rows
                || b.bytes >= config.target_bytes
                || now.duration_since(b.opened) >= config.max_age
        })
        .map(|b| b.key)
        .collect();
    let mut by_age: Vec<(Instant, PartitionKey, usize)> = buffers
        .iter()
        .filter(|b| !due.contains(&b.key))
        .map(|b| (b.opened, b.key, b.bytes))
        .collect();
    by_age.sort();
    let mut open = buffers.len() - due.len();
    let mut bytes: usize = by_age.iter().map(|(_, _, b)| b).sum();
    for (_, key, size) in by_age {
        if open <= config.max_open_partitions && bytes <= config.max_buffered_bytes {
            break;
        }
        due.push(key);
        open -= 1;
        bytes -= size;
    }
    due
}

/// Whether all that is pending should be written now.
pub(crate) fn whole_due(pending: &Pending, config: &WriterConfig, now: Instant) -> bool {
    pending.bytes >= config.target_bytes
        || pending.rows >= config.max_rows
        || due_tick(pending, config).is_some_and(|due| tick_at(now, config) >= due)
}

/// The flush tick at which everything pending falls due by age (the one after its first
/// record's), if anything is pending.
pub(crate) fn due_tick(pending: &Pending, config: &WriterConfig) -> Option<u128> {
    pending.since.map(|t| tick(t, config.max_age) + 1)
}

/// The flush tick `now` falls in.
pub(crate) fn tick_at(now: Instant, config: &WriterConfig) -> u128 {
    tick(now, config.max_age)
}

/// The number of the flush tick `at` falls in: ticks every `every` from the process's first
/// use of the clock.
fn tick(at: Instant, every: std::time::Duration) -> u128 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(|| at.min(Instant::now()));
    at.saturating_duration_since(epoch).as_nanos() / every.as_nanos().max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::*;

    fn hour(h: u32) -> PartitionKey {
        PartitionKey::of(Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap())
    }

    fn config() -> WriterConfig {
        WriterConfig {
            target_bytes: 1_000,
            max_rows: 10,
            max_age: Duration::from_secs(60),
            max_open_partitions: 2,
            max_buffered_bytes: 2_500,
            late: None,
        }
    }

    #[test]
    fn a_buffer_past_any_limit_is_due_and_the_oldest_go_past_a_cap() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let buffer = |h, opened, rows, bytes| BufferState {
            key: hour(h),
            opened,
            rows,
            bytes,
        };
        let now = at(100);
        // Full by rows, by bytes, by age; and one that is none of these.
        let buffers = [
            buffer(1, at(90), 10, 10),
            buffer(2, at(90), 1, 1_000),
            buffer(3, at(40), 1, 1),
            buffer(4, at(95), 1, 1),
        ];
        assert_eq!(
            due_partitions(&buffers, &config(), now),
            [hour(1), hour(2), hour(3)]
        );
        // Three fresh hours where two may be open: the oldest goes.
        let buffers = [
            buffer(5, at(99), 1, 1),
            buffer(6, at(97), 1, 1),
            buffer(7, at(98), 1, 1),
        ];
        assert_eq!(due_partitions(&buffers, &config(), now), [hour(6)]);
        // Too many bytes in all: the oldest go until the rest fit.
        let tight = WriterConfig {
            max_buffered_bytes: 1_500,
            ..config()
        };
        let buffers = [buffer(9, at(98), 1, 900), buffer(8, at(97), 1, 900)];
        assert_eq!(due_partitions(&buffers, &tight, now), [hour(8)]);
    }

    #[test]
    fn everything_is_due_when_the_whole_reaches_a_limit() {
        let start = Instant::now();
        let pending = |bytes, rows, since| Pending {
            records: 1,
            bytes,
            rows,
            since,
            oldest_arrival: None,
        };
        let config = config();
        assert!(!whole_due(&Pending::default(), &config, start));
        assert!(!whole_due(&pending(999, 9, Some(start)), &config, start));
        assert!(whole_due(&pending(1_000, 1, Some(start)), &config, start));
        assert!(whole_due(&pending(1, 10, Some(start)), &config, start));
        let later = start + Duration::from_secs(60);
        assert!(whole_due(&pending(1, 1, Some(start)), &config, later));
    }

    #[test]
    fn shards_that_started_apart_flush_at_the_same_tick() {
        let config = WriterConfig {
            max_age: Duration::from_secs(10),
            ..config()
        };
        let since = |at| Pending {
            records: 1,
            bytes: 1,
            rows: 1,
            since: Some(at),
            oldest_arrival: None,
        };
        // The first tick boundary at least 4 s after now.
        let start = Instant::now() + Duration::from_secs(4);
        let mut boundary = start;
        while tick(boundary, config.max_age) == tick(start, config.max_age) {
            boundary += Duration::from_millis(50);
        }
        // Two shards whose first records came 3 s apart, both before the boundary.
        let (a, b) = (
            boundary - Duration::from_millis(3_500),
            boundary - Duration::from_millis(500),
        );
        let just_before = boundary - Duration::from_millis(100);
        assert!(!whole_due(&since(a), &config, just_before));
        assert!(!whole_due(&since(b), &config, just_before));
        assert!(whole_due(&since(a), &config, boundary));
        assert!(whole_due(&since(b), &config, boundary));
        // No record waits longer than the maximum age.
        assert!(whole_due(
            &since(boundary),
            &config,
            boundary + config.max_age
        ));
    }
}
