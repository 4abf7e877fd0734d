//! The proof that nothing was lost or doubled: every user record in the load generator's
//! manifest is in the lake exactly once, by position (shard, sequence number, sub-sequence
//! number), and nothing else is.
//!
//! One exception is told apart rather than failed: a record the load generator put twice. It
//! sends a batch again when a call fails in a way that may have stored it (a timeout, a lost
//! answer), and says how many events it sent so (`maybe_doubled_events` in the manifest). The
//! stream then really holds those events twice, at two positions; the lake must hold each
//! position once, like any other. A row at a position the manifest lacks counts as put twice
//! when a row at a manifest position has the same shard, site, event time and place in its
//! record, and when there are no more of them than the load generator declared.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::rows::Row;

/// The outcome of the check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub expected_events: u64,
    pub rows: u64,
    /// Manifest positions with no row.
    pub missing: u64,
    /// Rows whose position (with its event index) occurs more than once: the extra copies.
    pub duplicated: u64,
    /// Rows at a position the manifest does not have, and not explained as put twice.
    pub unexpected: u64,
    /// Rows at a position the manifest does not have that repeat an event at one it has: the
    /// load generator's second copy of a batch (see the module's doc).
    #[serde(default)]
    pub put_twice: u64,
    /// Events the load generator said it may have put twice.
    #[serde(default)]
    pub maybe_doubled: u64,
    /// A few examples of each problem, for the report.
    pub examples: Vec<String>,
    /// Rows per shard.
    pub rows_by_shard: BTreeMap<String, u64>,
}

impl Verification {
    pub fn passed(&self) -> bool {
        self.missing == 0
            && self.duplicated == 0
            && self.unexpected == 0
            && self.put_twice <= self.maybe_doubled
            && self.rows == self.expected_events + self.put_twice
    }

    /// "passed" or "FAILED".
    pub fn verdict(&self) -> &'static str {
        if self.passed() { "passed" } else { "FAILED" }
    }

    /// The counts in words, for the log and the report.
    pub fn counts(&self) -> String {
        let mut text = format!(
            "{} events put, {} rows in the lake, {} missing, {} doubled, {} not put",
            self.expected_events, self.rows, self.missing, self.duplicated, self.unexpected
        );
        if self.put_twice > 0 || self.maybe_doubled > 0 {
            text.push_str(&format!(
                "; {} rows repeat an event at another stream position, as a batch put twice does (the load generator sent {} events again after calls whose outcome it could not know); the lake holds each position once",
                self.put_twice, self.maybe_doubled
            ));
        }
        text
    }
}

/// What a row holds, apart from its position: equal for the two copies of a record put twice.
type Content<'a> = (&'a str, &'a str, i64, u64, u32);

fn content(row: &Row) -> Option<Content<'_>> {
    Some((
        row.shard_id.as_str(),
        row.site.as_deref()?,
        row.event_micros?,
        row.sub_sequence_number,
        row.event_index,
    ))
}

/// Checks `rows` of `stream` against the manifest's records: (shard, sequence, user records).
/// Each user record of a record is one row at sub-sequence 0 (plain) or 0..n (KPL aggregate).
/// `maybe_doubled` is the manifest's count of events that may have been put twice.
pub fn verify(
    stream: &str,
    kpl: bool,
    records: &[(String, String, u64)],
    maybe_doubled: u64,
    rows: &[Row],
) -> Verification {
    let mut expected: HashMap<(&str, &str, u64), u32> = HashMap::new();
    let mut v = Verification {
        maybe_doubled,
        ..Verification::default()
    };
    let mut listed: HashSet<Content<'_>> = HashSet::new();
    let mut not_listed: Vec<&Row> = Vec::new();
    for (shard, sequence, n) in records {
        let subs = if kpl { *n } else { 1 };
        for sub in 0..subs {
            expected.insert((shard.as_str(), sequence.as_str(), sub), 0);
        }
        v.expected_events += if kpl { *n } else { 1 };
    }
    let mut seen: HashMap<(&str, &str, u64, u32), u32> = HashMap::new();
    for row in rows.iter().filter(|r| r.stream == stream) {
        v.rows += 1;
        *v.rows_by_shard.entry(row.shard_id.clone()).or_default() += 1;
        let key = (
            row.shard_id.as_str(),
            row.sequence_number.as_str(),
            row.sub_sequence_number,
        );
        let copies = seen
            .entry((key.0, key.1, key.2, row.event_index))
            .or_default();
        *copies += 1;
        if *copies > 1 {
            v.duplicated += 1;
            if v.examples.len() < 10 {
                v.examples
                    .push(format!("twice: {} {} sub {}", key.0, key.1, key.2));
            }
        }
        match expected.get_mut(&key) {
            Some(found) => {
                *found += 1;
                listed.extend(content(row));
            }
            None => not_listed.push(row),
        }
    }
    for row in not_listed {
        if content(row).is_some_and(|c| listed.contains(&c)) {
            v.put_twice += 1;
            continue;
        }
        v.unexpected += 1;
        if v.examples.len() < 10 {
            v.examples.push(format!(
                "not put: {} {} sub {}",
                row.shard_id, row.sequence_number, row.sub_sequence_number
            ));
        }
    }
    if v.put_twice > v.maybe_doubled && v.examples.len() < 10 {
        v.examples.push(format!(
            "{} rows repeat an event at another position, but the load generator sent only {} events again",
            v.put_twice, v.maybe_doubled
        ));
    }
    for ((shard, sequence, sub), found) in &expected {
        if *found == 0 {
            v.missing += 1;
            if v.examples.len() < 10 {
                v.examples
                    .push(format!("missing: {shard} {sequence} sub {sub}"));
            }
        }
    }
    v.examples.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(shard: &str, seq: &str, sub: u64) -> Row {
        Row {
            stream: "s".into(),
            shard_id: shard.into(),
            sequence_number: seq.into(),
            sub_sequence_number: sub,
            event_index: 0,
            arrival_micros: 0,
            site: Some(format!("home-{seq}")),
            event_micros: Some(seq.parse().unwrap()),
        }
    }

    /// A row at position `seq` holding the same event as the row at `first`.
    fn copy_of(first: &str, seq: &str) -> Row {
        Row {
            sequence_number: seq.into(),
            ..row("a", first, 0)
        }
    }

    #[test]
    fn each_position_must_be_there_once() {
        let records = vec![
            ("a".to_string(), "1".to_string(), 1),
            ("a".to_string(), "2".to_string(), 1),
        ];
        let good = [row("a", "1", 0), row("a", "2", 0)];
        assert!(verify("s", false, &records, 0, &good).passed());
        let missing = verify("s", false, &records, 0, &good[..1]);
        assert_eq!(missing.missing, 1);
        assert!(!missing.passed());
        let doubled = verify(
            "s",
            false,
            &records,
            0,
            &[row("a", "1", 0), row("a", "1", 0), row("a", "2", 0)],
        );
        assert_eq!(doubled.duplicated, 1);
        assert!(!doubled.passed());
        let foreign = verify(
            "s",
            false,
            &records,
            0,
            &[row("a", "1", 0), row("a", "2", 0), row("a", "3", 0)],
        );
        assert_eq!(foreign.unexpected, 1);
        assert!(!foreign.passed());
    }

    #[test]
    fn a_batch_the_producer_put_twice_is_told_apart_but_only_as_far_as_it_said() {
        let records = vec![
            ("a".to_string(), "1".to_string(), 1),
            ("a".to_string(), "2".to_string(), 1),
        ];
        // The stream holds events 1 and 2 again at 8 and 9: the first attempt of a call
        // whose answer was lost.
        let rows = [
            row("a", "1", 0),
            row("a", "2", 0),
            copy_of("1", "8"),
            copy_of("2", "9"),
        ];
        let v = verify("s", false, &records, 2, &rows);
        assert!(v.passed(), "{v:?}");
        assert_eq!((v.put_twice, v.unexpected, v.rows), (2, 0, 4));
        assert!(
            v.counts()
                .contains("2 rows repeat an event at another stream position")
        );
        // More copies than the load generator sent again: not explained.
        let v = verify("s", false, &records, 1, &rows);
        assert!(!v.passed());
        assert!(
            v.examples
                .iter()
                .any(|e| e.contains("sent only 1 events again"))
        );
        // A copy counts only while its first is at a listed position in the lake: with the
        // first missing, the copy is a row nobody put.
        let v = verify(
            "s",
            false,
            &records,
            2,
            &[row("a", "2", 0), copy_of("1", "8")],
        );
        assert_eq!((v.missing, v.unexpected, v.put_twice), (1, 1, 0));
        assert!(!v.passed());
        // A row at an unknown position with an event of its own is never a copy.
        let v = verify(
            "s",
            false,
            &records,
            2,
            &[row("a", "1", 0), row("a", "2", 0), row("a", "7", 0)],
        );
        assert_eq!((v.unexpected, v.put_twice), (1, 0));
        assert!(!v.passed());
    }

    #[test]
    fn aggregates_count_their_user_records() {
        let records = vec![("a".to_string(), "1".to_string(), 3)];
        let rows = [row("a", "1", 0), row("a", "1", 1), row("a", "1", 2)];
        let v = verify("s", true, &records, 0, &rows);
        assert!(v.passed(), "{v:?}");
        assert_eq!(v.expected_events, 3);
        assert!(!verify("s", true, &records, 0, &rows[..2]).passed());
    }
}
