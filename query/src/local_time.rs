//! Local time in reports, written as plain SQL so that DuckDB and Athena run the same text.
//!
//! A report converts each event with its site's zone, and sites differ. DataFusion's
//! `AT TIME ZONE` takes one constant zone, and each engine spells per-row conversion
//! differently, so alarmlake does the zone arithmetic itself: it reads each zone's UTC offsets
//! from the IANA database (chrono-tz) and inlines them as a small `VALUES` table of intervals
//! (`time_zone, valid_from, valid_until` in epoch seconds, the `shift` to add, and the offset's
//! text). A report joins an event to the interval its instant falls in, which every SQL engine
//! can do, and the printed SQL stays runnable anywhere.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The years whose transitions are listed. Instants before or after fall into the first or
/// last interval, which reach out to the ends of time with the offset at the edge.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2050;
/// Open ends of the first and last interval, in epoch seconds (beyond any timestamp).
const BEFORE_ALL: i64 = -99_999_999_999;
const AFTER_ALL: i64 = 99_999_999_999;

/// One stretch of time during which a zone's offset from UTC stays the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetSpan {
    /// First second of the span (epoch seconds, inclusive).
    pub valid_from: i64,
    /// First second after it (exclusive).
    pub valid_until: i64,
    /// Local time minus UTC, in seconds.
    pub seconds: i32,
}

fn offset_at(zone: Tz, epoch: i64) -> i32 {
    match DateTime::from_timestamp(epoch, 0) {
        Some(t) => zone
            .offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

fn year_start(year: i32) -> i64 {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp())
}

/// The zone's offsets from [`FIRST_YEAR`] to [`LAST_YEAR`], as consecutive spans. Transitions
/// are found by stepping a day at a time and then bisecting to the exact second, since
/// chrono-tz answers "which offset at this instant" but does not list its transitions.
pub fn offset_spans(zone: Tz) -> Vec<OffsetSpan> {
    const DAY: i64 = 86_400;
    let (start, end) = (year_start(FIRST_YEAR), year_start(LAST_YEAR + 1));
    let mut spans = Vec::new();
    let mut span_start = BEFORE_ALL;
    let mut current = offset_at(zone, start);
    let mut t = start;
    while t < end {
        let next = t + DAY;
        let offset = offset_at(zone, next);
        if offset != current {
            // The change lies in (t, next]: find the first second with the new offset.
            let (mut low, mut high) = (t, next);
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(zone, middle) == current {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            spans.push(OffsetSpan {
                valid_from: span_start,
                valid_until: high,
                seconds: current,
            });
            span_start = high;
            current = offset_at(zone, high);
            // A change and its reversal within one day (rare) are both caught by restarting
            // the step from the transition.
            t = high;
            continue;
        }
        t = next;
    }
    spans.push(OffsetSpan {
        valid_from: span_start,
        valid_until: AFTER_ALL,
        seconds: current,
    });
    spans
}

/// `+05:30`, `-04:00`, `+00:00`: the offset as ISO 8601 writes it.
pub fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A SQL string literal.
pub fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The `offsets` table of the given zones (each listed once), as a `SELECT` over `VALUES`.
pub fn offsets_sql(zones: impl IntoIterator<Item = Tz>) -> String {
    let zones: BTreeMap<&'static str, Tz> = zones.into_iter().map(|z| (z.name(), z)).collect();
    let mut rows = Vec::new();
    for zone in zones.values() {
        for span in offset_spans(*zone) {
            let mut row = String::new();
            let _ = write!(
                row,
                "({}, {}, {}, INTERVAL '{} seconds', {})",
                quoted(zone.name()),
                span.valid_from,
                span.valid_until,
                span.seconds,
                quoted(&offset_text(span.seconds))
            );
            rows.push(row);
        }
    }
    format!(
        "SELECT * FROM (VALUES\n        {}\n    ) AS zone_offsets(time_zone, valid_from, valid_until, shift, utc_offset)",
        rows.join(",\n        ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp()
    }

    #[test]
    fn new_york_changes_at_two_in_the_morning_local() {
        let spans = offset_spans(chrono_tz::America::New_York);
        // Two changes a year since 2000 (the 2007 rule change moved the dates, not the count).
        assert_eq!(spans.len(), 2 * 51 + 1);
        let spring_2024 = spans
            .iter()
            .find(|s| s.valid_from == epoch("2024-03-10T07:00:00Z"))
            .expect("2024-03-10 02:00 EST is a transition");
        assert_eq!(spring_2024.seconds, -4 * 3600);
        assert_eq!(spring_2024.valid_until, epoch("2024-11-03T06:00:00Z"));
        assert_eq!(spans[0].valid_from, BEFORE_ALL);
        assert_eq!(spans[0].seconds, -5 * 3600);
        assert_eq!(spans.last().unwrap().valid_until, AFTER_ALL);
        for pair in spans.windows(2) {
            assert_eq!(pair[0].valid_until, pair[1].valid_from);
            assert_ne!(pair[0].seconds, pair[1].seconds);
        }
    }

    #[test]
    fn zones_without_daylight_saving_have_one_span() {
        assert_eq!(
            offset_spans(chrono_tz::UTC),
            vec![OffsetSpan {
                valid_from: BEFORE_ALL,
                valid_until: AFTER_ALL,
                seconds: 0
            }]
        );
        let kolkata = offset_spans(chrono_tz::Asia::Kolkata);
        assert_eq!(kolkata.len(), 1);
        assert_eq!(offset_text(kolkata[0].seconds), "+05:30");
        assert_eq!(offset_text(-4 * 3600), "-04:00");
        assert_eq!(offset_text(0), "+00:00");
    }

    #[test]
    fn the_offsets_table_lists_every_zone() {
        let sql = offsets_sql([chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::UTC]);
        assert_eq!(sql.matches("('UTC'").count(), 1);
        assert!(sql.contains("('UTC', -99999999999, 99999999999, INTERVAL '0 seconds', '+00:00')"));
        assert!(sql.contains("INTERVAL '7200 seconds', '+02:00'"));
        assert_eq!(quoted("o'neil"), "'o''neil'");
    }
}
