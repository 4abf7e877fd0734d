//! The arrival times of a shard's buffered records, kept as counts per 100 ms, so that the
//! latency histogram observes each record's own arrival-to-commit time.
//!
//! *Why counts, not times:* a flush holds up to millions of records; a count per 100 ms of
//! arrival is a few hundred entries for a minute's buffer, and a tenth of a second is finer
//! than the histogram's smallest bucket (0.5 s). Crediting every record with the oldest one's
//! latency, as before, made a steady stream look a whole flush interval slower than it is.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Width of one slot of arrival time.
const SLOT_MILLIS: i64 = 100;

#[derive(Debug, Default)]
pub(crate) struct ArrivalTally {
    /// Records by the start of their 100 ms arrival slot (ms since the epoch).
    slots: BTreeMap<i64, u64>,
}

impl ArrivalTally {
    pub(crate) fn add(&mut self, arrival: DateTime<Utc>) {
        let millis = arrival.timestamp_millis();
        *self
            .slots
            .entry(millis - millis.rem_euclid(SLOT_MILLIS))
            .or_insert(0) += 1;
    }

    /// Each slot's latency at `now` (seconds, from the middle of the slot) and its records;
    /// the tally is empty afterwards.
    pub(crate) fn drain(&mut self, now: DateTime<Utc>) -> impl Iterator<Item = (f64, u64)> {
        let now = now.timestamp_millis();
        std::mem::take(&mut self.slots)
            .into_iter()
            .map(move |(slot, n)| {
                let middle = slot + SLOT_MILLIS / 2;
                (((now - middle).max(0)) as f64 / 1000.0, n)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).unwrap()
    }

    #[test]
    fn each_record_keeps_its_own_arrival() {
        let mut tally = ArrivalTally::default();
        // Two records 10 s old and three 1 s old, at commit time 100,000 ms.
        for millis in [90_010, 90_020, 99_000, 99_010, 99_090] {
            tally.add(at(millis));
        }
        let observed: Vec<(f64, u64)> = tally.drain(at(100_000)).collect();
        assert_eq!(observed, vec![(9.95, 2), (0.95, 3)]);
        assert_eq!(tally.drain(at(100_000)).count(), 0, "drained");
    }
}
