//! Parsing of the timestamps the relays and devices write.
//!
//! AlarmDecoder relays write the Pi's naive local time (`2017-01-17T23:41:02.123456`, or with a
//! space when Python's `str()` did the formatting), which only becomes an instant once the
//! home's time zone is known. The parser is hand-written because it runs once per event on the
//! hot path and the layout is fixed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::reject::{DecodeError, RejectReason};

/// A parsed time that may still need a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedTime {
    /// No offset was written: local time of the home, resolved by [`crate::TimeZones`].
    Naive(NaiveDateTime),
    /// The text carried `Z` or an offset, or was an epoch number.
    Absolute(DateTime<Utc>),
}

fn invalid(text: &str) -> DecodeError {
    let shown: String = text.chars().take(64).collect();
    DecodeError::new(
        RejectReason::InvalidTimestamp,
        format!("invalid timestamp {shown:?}"),
    )
}

fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]`.
pub fn parse_iso(text: &str) -> Result<ParsedTime, DecodeError> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(invalid(text));
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(invalid(text));
    }
    let field = |range: std::ops::Range<usize>| digits(&b[range]).ok_or_else(|| invalid(text));
    let year = field(0..4)?;
    let month = field(5..7)?;
    let day = field(8..10)?;
    let hour = field(11..13)?;
    let minute = field(14..16)?;
    let second = field(17..19)?;
    let mut rest = &b[19..];
    let mut nanos: u32 = 0;
    if let Some((b'.', tail)) = rest.split_first() {
        let len = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return Err(invalid(text));
        }
        // Keep nanosecond precision; further digits cannot be represented and are ignored.
        let used = len.min(9);
        let mut frac = digits(&tail[..used]).ok_or_else(|| invalid(text))?;
        for _ in used..9 {
            frac *= 10;
        }
        nanos = frac;
        rest = &tail[len..];
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| invalid(text))?;
    let time =
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(|| invalid(text))?;
    let naive = NaiveDateTime::new(date, time);
    match rest {
        [] => Ok(ParsedTime::Naive(naive)),
        [b'Z' | b'z'] => Ok(ParsedTime::Absolute(naive.and_utc())),
        [sign @ (b'+' | b'-'), offset @ ..] => {
            let (oh, om) = match offset {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (
                    digits(&[*h1, *h2]).ok_or_else(|| invalid(text))?,
                    digits(&[*m1, *m2]).ok_or_else(|| invalid(text))?,
                ),
                [h1, h2] => (digits(&[*h1, *h2]).ok_or_else(|| invalid(text))?, 0),
                _ => return Err(invalid(text)),
            };
            let seconds = (oh * 3600 + om * 60) as i32;
            let offset = if *sign == b'+' {
                FixedOffset::east_opt(seconds)
            } else {
                FixedOffset::west_opt(seconds)
            };
            let offset = offset.ok_or_else(|| invalid(text))?;
            let local = naive
                .and_local_timezone(offset)
                .single()
                .ok_or_else(|| invalid(text))?;
            Ok(ParsedTime::Absolute(local.with_timezone(&Utc)))
        }
        _ => Err(invalid(text)),
    }
}

/// Parses an RFC 3339 timestamp, which must carry an offset (MODE's `timestamp`, S3's `eventTime`).
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, DecodeError> {
    match parse_iso(text)? {
        ParsedTime::Absolute(t) => Ok(t),
        ParsedTime::Naive(_) => Err(DecodeError::new(
            RejectReason::InvalidTimestamp,
            format!("timestamp {text:?} has no time zone offset"),
        )),
    }
}

/// Converts seconds since the epoch (as some relays write `time`) to an instant.
pub fn from_epoch_seconds(seconds: f64) -> Result<DateTime<Utc>, DecodeError> {
    // Between 1970 and 2200: anything else is a unit mistake (milliseconds) or garbage.
    if !seconds.is_finite() || !(0.0..7_258_118_400.0).contains(&seconds) {
        return Err(DecodeError::new(
            RejectReason::InvalidTimestamp,
            format!("epoch time {seconds} is out of range"),
        ));
    }
    let micros = (seconds * 1e6).round() as i64;
    DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        DecodeError::new(
            RejectReason::InvalidTimestamp,
            format!("epoch time {seconds} is out of range"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &str) -> NaiveDateTime {
        match parse_iso(text).unwrap() {
            ParsedTime::Naive(n) => n,
            other => panic!("expected naive, got {other:?}"),
        }
    }

    #[test]
    fn parses_python_isoformat_and_str_forms() {
        let a = naive("2017-01-17T23:41:02.123456");
        assert_eq!(a.to_string(), "2017-01-17 23:41:02.123456");
        assert_eq!(naive("2017-01-17 23:41:02"), a.with_nanosecond_zero());
        assert_eq!(
            naive("2017-01-17T23:41:02.5")
                .and_utc()
                .timestamp_subsec_millis(),
            500
        );
    }

    trait ZeroNanos {
        fn with_nanosecond_zero(self) -> Self;
    }
    impl ZeroNanos for NaiveDateTime {
        fn with_nanosecond_zero(self) -> Self {
            use chrono::Timelike;
            self.with_nanosecond(0).unwrap()
        }
    }

    #[test]
    fn parses_offsets() {
        let t = parse_rfc3339("2016-01-04T23:26:09.521Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-01-04T23:26:09.521+00:00");
        let t = parse_rfc3339("2016-01-04T18:26:09-05:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-01-04T23:26:09+00:00");
        let t = parse_rfc3339("2016-01-05T04:56:09+0530").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-01-04T23:26:09+00:00");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2017-01-17",
            "2017-13-17T23:41:02",
            "2017-02-30T23:41:02",
            "2017-01-17T25:41:02",
            "2017-01-17T23:41:02.",
            "2017-01-17T23:41:02+5",
            "2017-01-17T23:41:02 junk",
            "20x7-01-17T23:41:02",
            "2017-01-17T23:41:0é",
        ] {
            let err = parse_iso(bad).unwrap_err();
            assert_eq!(err.reason, RejectReason::InvalidTimestamp, "{bad}");
        }
        assert!(parse_rfc3339("2017-01-17T23:41:02").is_err());
        assert!(from_epoch_seconds(f64::NAN).is_err());
        assert!(
            from_epoch_seconds(1.5e12).is_err(),
            "milliseconds are not seconds"
        );
        assert_eq!(
            from_epoch_seconds(1484696462.5).unwrap().timestamp_millis(),
            1484696462500
        );
    }
}
