//! Time as the generator counts it: microseconds since the epoch, and the relay's text form.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

pub const SECOND: i64 = 1_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Whether the day that starts at `day_start` (a multiple of [`DAY`]) is a working day, Monday
/// to Friday, in UTC. Day 0, 1970-01-01, was a Thursday: counting Monday as 0, day `n` is
/// weekday `(n + 3) % 7`.
pub fn is_workday(day_start: i64) -> bool {
    (day_start.div_euclid(DAY) + 3).rem_euclid(7) < 5
}

pub fn to_datetime(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// Python's `datetime.isoformat()` of a naive time: the fraction only when it is not zero.
pub fn write_iso_naive(out: &mut String, micros: i64) {
    let t = to_datetime(micros);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let fraction = micros.rem_euclid(SECOND);
    if fraction != 0 {
        let _ = write!(out, ".{fraction:06}");
    }
}

/// RFC 3339 in UTC with milliseconds, as MODE and S3 write it.
pub fn write_rfc3339_millis(out: &mut String, micros: i64) {
    let t = to_datetime(micros);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        micros.rem_euclid(SECOND) / 1000
    );
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Weekday};

    use super::*;

    #[test]
    fn workdays_are_monday_to_friday_as_the_calendar_has_them() {
        // Two weeks around a year's end, and the epoch's own week.
        let starts = (0..14)
            .map(|d| NaiveDate::from_ymd_opt(2026, 12, 21).unwrap() + chrono::Days::new(d))
            .chain(
                (0..7).map(|d| NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(d)),
            );
        for date in starts {
            let micros = date
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_micros();
            let expected = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            assert_eq!(is_workday(micros), expected, "{date} ({})", date.weekday());
        }
    }
}
