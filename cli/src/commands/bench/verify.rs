//! The proof that nothing was lost or doubled: every user record in the load generator's
//! manifest is in the lake exactly once, by position (shard, sequence number, sub-sequence
//! number), and nothing else is.

use std::collections::{BTreeMap, HashMap};

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
    /// Rows at a position the manifest does not have.
    pub unexpected: u64,
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
            && self.rows == self.expected_events
    }
}

/// Checks `rows` of `stream` against the manifest's records: (shard, sequence, user records).
/// Each user record of a record is one row at sub-sequence 0 (plain) or 0..n (KPL aggregate).
pub fn verify(
    stream: &str,
    kpl: bool,
    records: &[(String, String, u64)],
    rows: &[Row],
) -> Verification {
    let mut expected: HashMap<(&str, &str, u64), u32> = HashMap::new();
    let mut v = Verification::default();
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
            Some(found) => *found += 1,
            None => {
                v.unexpected += 1;
                if v.examples.len() < 10 {
                    v.examples
                        .push(format!("not put: {} {} sub {}", key.0, key.1, key.2));
                }
            }
        }
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
        }
    }

    #[test]
    fn each_position_must_be_there_once() {
        let records = vec![
            ("a".to_string(), "1".to_string(), 1),
            ("a".to_string(), "2".to_string(), 1),
        ];
        let good = [row("a", "1", 0), row("a", "2", 0)];
        assert!(verify("s", false, &records, &good).passed());
        let missing = verify("s", false, &records, &good[..1]);
        assert_eq!(missing.missing, 1);
        assert!(!missing.passed());
        let doubled = verify(
            "s",
            false,
            &records,
            &[row("a", "1", 0), row("a", "1", 0), row("a", "2", 0)],
        );
        assert_eq!(doubled.duplicated, 1);
        assert!(!doubled.passed());
        let foreign = verify(
            "s",
            false,
            &records,
            &[row("a", "1", 0), row("a", "2", 0), row("a", "3", 0)],
        );
        assert_eq!(foreign.unexpected, 1);
        assert!(!foreign.passed());
    }

    #[test]
    fn aggregates_count_their_user_records() {
        let records = vec![("a".to_string(), "1".to_string(), 3)];
        let rows = [row("a", "1", 0), row("a", "1", 1), row("a", "1", 2)];
        let v = verify("s", true, &records, &rows);
        assert!(v.passed(), "{v:?}");
        assert_eq!(v.expected_events, 3);
        assert!(!verify("s", true, &records, &rows[..2]).passed());
    }
}
