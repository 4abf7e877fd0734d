//! Hive partition paths: `<table>/date=YYYY-MM-DD/hour=HH`, from the UTC event time.
//!
//! Values that come from data are escaped the way Hive escapes them, and values that could
//! leave the table's prefix (`..`, empty, control characters) are refused outright.

use std::fmt;

use alarmlake_schemas::Table;
use chrono::{DateTime, NaiveDate, Timelike, Utc};

/// A partition value that cannot be written safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error("partition value is empty")]
    Empty,
    #[error("partition value {0:?} is a relative path component")]
    Relative(String),
    #[error("partition value {0:?} contains a control character")]
    ControlCharacter(String),
}

/// Escapes a partition value as Hive does (`%XX` for `/`, `=`, `%`, `:` and the other characters
/// that are special in paths or in Hive's own syntax), so that it stays one path component.
pub fn hive_escape(value: &str) -> Result<String, PartitionError> {
    if value.is_empty() {
        return Err(PartitionError::Empty);
    }
    if value == "." || value == ".." {
        return Err(PartitionError::Relative(value.to_string()));
    }
    if value.chars().any(char::is_control) {
        return Err(PartitionError::ControlCharacter(value.to_string()));
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' | '#' | '%' | '\'' | '*' | '/' | ':' | '=' | '?' | '\\' | '{' | '[' | ']' | '^' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The hour a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub date: NaiveDate,
    pub hour: u32,
}

impl PartitionKey {
    /// The partition of an instant, in UTC.
    pub fn of(time: DateTime<Utc>) -> PartitionKey {
        PartitionKey {
            date: time.date_naive(),
            hour: time.hour(),
        }
    }

    /// The partition folder of `table`, relative to the lake root.
    pub fn dir(&self, table: Table) -> String {
        format!(
            "{}/date={}/hour={:02}",
            table.name(),
            self.date.format("%Y-%m-%d"),
            self.hour
        )
    }
}

impl PartitionKey {
    /// The hour named by the `date=YYYY-MM-DD/hour=H/` folders at the start of `path` (relative
    /// to a table's folder); `None` when it does not start with them.
    pub fn from_relative(path: &str) -> Option<PartitionKey> {
        let mut parts = path.split('/');
        let date = parts.next()?.strip_prefix("date=")?;
        let hour = parts.next()?.strip_prefix("hour=")?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let hour: u32 = hour.parse().ok()?;
        (hour < 24 && parts.next().is_some()).then_some(PartitionKey { date, hour })
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "date={}/hour={:02}",
            self.date.format("%Y-%m-%d"),
            self.hour
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_are_utc_hours() {
        let t = DateTime::parse_from_rfc3339("2024-03-10T07:30:00-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let key = PartitionKey::of(t);
        assert_eq!(
            key.dir(Table::AlarmEvents),
            "alarm_events/date=2024-03-10/hour=12"
        );
        assert_eq!(key.to_string(), "date=2024-03-10/hour=12");
        assert_eq!(
            PartitionKey::from_relative("date=2024-03-10/hour=12/a.parquet"),
            Some(key)
        );
        assert_eq!(
            PartitionKey::from_relative("date=2024-03-10/hour=7/a.parquet").map(|k| k.hour),
            Some(7)
        );
        for outside in [
            "a.parquet",
            "date=2024-03-10/a.parquet",
            "date=2024-03-10/hour=24/a.parquet",
            "date=2024-13-10/hour=1/a.parquet",
            "date=2024-03-10/hour=12",
        ] {
            assert_eq!(PartitionKey::from_relative(outside), None, "{outside}");
        }
    }

    #[test]
    fn injection_attempts_are_escaped_or_refused() {
        assert_eq!(hive_escape("home-1").unwrap(), "home-1");
        assert_eq!(hive_escape("../../etc").unwrap(), "..%2F..%2Fetc");
        assert_eq!(hive_escape("a/b").unwrap(), "a%2Fb");
        assert_eq!(hive_escape("date=2024-01-01").unwrap(), "date%3D2024-01-01");
        assert_eq!(hive_escape("100%").unwrap(), "100%25");
        assert_eq!(hive_escape("C:\\x").unwrap(), "C%3A%5Cx");
        assert_eq!(
            hive_escape("..").unwrap_err(),
            PartitionError::Relative("..".into())
        );
        assert_eq!(
            hive_escape(".").unwrap_err(),
            PartitionError::Relative(".".into())
        );
        assert_eq!(hive_escape("").unwrap_err(), PartitionError::Empty);
        assert!(matches!(
            hive_escape("a\nb"),
            Err(PartitionError::ControlCharacter(_))
        ));
        assert!(matches!(
            hive_escape("a\0b"),
            Err(PartitionError::ControlCharacter(_))
        ));
        for value in ["../../etc", "a/b", "x=y", "%2F", "é/ü"] {
            let escaped = hive_escape(value).unwrap();
            assert!(
                !escaped.contains('/') && !escaped.contains('=') && escaped != "..",
                "{value} → {escaped}"
            );
        }
    }
}
