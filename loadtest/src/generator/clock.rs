//! Time as the generator counts it: microseconds since the epoch, and the relay's text form.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

pub const SECOND: i64 = 1_000_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

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
