//! Late rows: events whose hour had long ended when their record arrived (a panel that was
//! offline for a day, a relay that replays its backlog).
//!
//! *Why they are held:* a checkpointed shard writes everything it buffered at each flush, so
//! each late hour used to get one tiny file per shard per flush, and compaction was the only
//! remedy. A shard now holds its late rows per hour, across flushes, and writes an hour when it
//! reaches the size target, when it has been held for [`LateRule::hold`], when the memory caps
//! say so, or when the shard stops: one bigger file per hour instead of one per flush.
//!
//! *Why exactly-once still holds:* whether a row is late depends only on the row's hour and its
//! record's arrival time, both stored in the stream, so a record read again classifies its rows
//! exactly as before. The checkpoint keeps, for each hour still held, the first record whose
//! late rows of that hour are held ([`Held`]). After a crash the reader starts at the earliest of
//! those records, and up to the committed position it keeps only the rows that were held when
//! the checkpoint was written: the late rows of a held hour from that hour's first record on.
//! Every other row of those records is already in the lake. Until the reader has read back to
//! the committed position, a flush writes no late hour and keeps the checkpoint's held hours as
//! they were: the rows not read again yet are in no buffer.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::partition::PartitionKey;

/// Which rows are late, and how long a late hour may be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateRule {
    /// A row is late when its hour ended at least this long before its record arrived.
    pub after: Duration,
    /// The longest a late hour's rows wait before they are written.
    pub hold: std::time::Duration,
}

impl LateRule {
    /// Whether a row of hour `key` whose record arrived at `arrival` is late.
    pub fn is_late(&self, key: PartitionKey, arrival: DateTime<Utc>) -> bool {
        key < first_on_time_hour(arrival, self.after)
    }

    /// The first hour whose rows are on time for a record that arrived at `arrival`: once per
    /// record, so that each row costs one comparison on the writer's hot path.
    pub fn first_on_time_hour(&self, arrival: DateTime<Utc>) -> PartitionKey {
        first_on_time_hour(arrival, self.after)
    }
}

/// An hour ended at least `after` before `arrival` exactly when it comes before the hour of
/// `arrival - after` (hours end on the hour).
fn first_on_time_hour(arrival: DateTime<Utc>, after: Duration) -> PartitionKey {
    PartitionKey::of(arrival - after)
}

/// The late hours a shard holds, as its checkpoint keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// [`LateRule::after`] in seconds when these rows were held: a reader that replays them
    /// classifies rows with it, whatever the setting is now.
    pub late_after_secs: i64,
    /// Each held hour (`date=YYYY-MM-DD/hour=HH`) and the first record (sequence number) whose
    /// late rows of that hour are held.
    pub hours: BTreeMap<String, String>,
}

impl Held {
    /// The earliest record with held rows: where a reader resumes after a crash.
    pub fn first(&self) -> Option<&str> {
        self.hours
            .values()
            .min_by(|a, b| sequence_order(a, b))
            .map(String::as_str)
    }

    /// The held hours, parsed; an entry that does not parse is dropped (none is ever written).
    fn keys(&self) -> BTreeMap<PartitionKey, String> {
        self.hours
            .iter()
            .filter_map(|(hour, first)| {
                PartitionKey::from_relative(&format!("{hour}/")).map(|key| (key, first.clone()))
            })
            .collect()
    }
}

/// Kinesis sequence numbers are decimal integers of up to 128 bits, without leading zeros:
/// the shorter is the smaller, and equal lengths compare as text.
pub fn sequence_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A reader's way back through records it read before a crash (see the module doc).
#[derive(Debug, Clone)]
pub(crate) struct Replay {
    /// The committed position: records after it are new.
    until: String,
    after: Duration,
    held: BTreeMap<PartitionKey, String>,
    /// The checkpoint's held hours as they were: until the replay has read back to `until`,
    /// some held rows are in no buffer yet, so a flush writes no late hour and the checkpoint
    /// keeps these (a flush or a handover in the middle of a replay lost the rest).
    original: Held,
}

impl Replay {
    pub(crate) fn new(until: String, held: &Held) -> Replay {
        Replay {
            until,
            after: Duration::seconds(held.late_after_secs),
            held: held.keys(),
            original: held.clone(),
        }
    }

    /// The checkpoint's held hours while the replay lasts.
    pub(crate) fn original(&self) -> &Held {
        &self.original
    }

    /// Whether the record at `sequence` is the last one read again, or past it.
    pub(crate) fn ends_at(&self, sequence: &str) -> bool {
        sequence_order(sequence, &self.until) != Ordering::Less
    }

    /// Whether the record at `sequence` was read before (its rows are filtered).
    pub(crate) fn covers(&self, sequence: &str) -> bool {
        sequence_order(sequence, &self.until) != Ordering::Greater
    }

    /// Whether a row of hour `key` of the re-read record at `sequence` (arrived at `arrival`)
    /// was still held, so must be buffered again.
    pub(crate) fn keeps(&self, key: PartitionKey, arrival: DateTime<Utc>, sequence: &str) -> bool {
        key < first_on_time_hour(arrival, self.after)
            && self
                .held
                .get(&key)
                .is_some_and(|first| sequence_order(sequence, first) != Ordering::Less)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> PartitionKey {
        PartitionKey::from_relative(&format!("{text}/")).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_row_is_late_once_its_hour_ended_long_enough_before_it_arrived() {
        let rule = LateRule {
            after: Duration::hours(1),
            hold: std::time::Duration::from_secs(60),
        };
        let hour = key("date=2026-03-08/hour=06");
        assert!(!rule.is_late(hour, at("2026-03-08T06:59:59Z")));
        assert!(!rule.is_late(hour, at("2026-03-08T07:59:59Z")));
        assert!(rule.is_late(hour, at("2026-03-08T08:00:00Z")));
        assert!(rule.is_late(hour, at("2026-03-10T00:00:00Z")));
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(sequence_order("9", "10"), Ordering::Less);
        assert_eq!(sequence_order("4959", "4959"), Ordering::Equal);
        assert_eq!(sequence_order("4960", "4959"), Ordering::Greater);
        let held = Held {
            late_after_secs: 3600,
            hours: BTreeMap::from([
                ("date=2026-03-07/hour=10".into(), "120".into()),
                ("date=2026-03-07/hour=11".into(), "99".into()),
            ]),
        };
        assert_eq!(held.first(), Some("99"));
    }

    #[test]
    fn a_replay_keeps_only_the_rows_that_were_held() {
        let held = Held {
            late_after_secs: 3600,
            hours: BTreeMap::from([("date=2026-03-07/hour=10".into(), "120".into())]),
        };
        let replay = Replay::new("500".into(), &held);
        let arrived = at("2026-03-08T12:00:00Z");
        assert!(replay.covers("500") && replay.covers("99") && !replay.covers("501"));
        // The held hour, from its first record on.
        assert!(replay.keeps(key("date=2026-03-07/hour=10"), arrived, "120"));
        assert!(replay.keeps(key("date=2026-03-07/hour=10"), arrived, "300"));
        // Before it (committed by an earlier write of that hour), another late hour (written),
        // and an on-time row (committed with its flush).
        assert!(!replay.keeps(key("date=2026-03-07/hour=10"), arrived, "119"));
        assert!(!replay.keeps(key("date=2026-03-07/hour=11"), arrived, "300"));
        assert!(!replay.keeps(key("date=2026-03-08/hour=11"), arrived, "300"));
    }
}
