//! Ready-made reports: each is one readable `.sql` file in `query/reports/`, so users can copy
//! and adapt it. Parameters are substituted as SQL literals (dates are validated first), so the
//! same text runs in alarmlake, DuckDB or Athena.

use chrono::NaiveDate;

/// One report.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub name: &'static str,
    pub description: &'static str,
    pub sql: &'static str,
}

/// A report named `$name`, whose SQL is `query/reports/$name.sql`.
macro_rules! report {
    ($name:literal, $description:literal) => {
        Report {
            name: $name,
            description: $description,
            sql: include_str!(concat!("../reports/", $name, ".sql")),
        }
    };
}

pub const REPORTS: &[Report] = &[
    report!(
        "volume",
        "events per day and hour, by table and message type"
    ),
    report!(
        "arming",
        "the arm/disarm timeline per site, from keypad states and LRR reports"
    ),
    report!(
        "alarms",
        "alarm episodes (burglary, fire, panic, CO, ...) with zone and duration"
    ),
    report!("zones", "the zones that fault most"),
    report!(
        "power",
        "AC loss episodes from panels and power devices, with duration"
    ),
    report!("devices", "the latest event of every MODE device"),
    report!(
        "silent",
        "devices whose heartbeats stopped for over --minutes (15)"
    ),
    report!("cameras", "clips by camera and day"),
    report!(
        "activity",
        "sensor and panel activity by day of week and hour of day"
    ),
    report!("health", "dead letters by reason"),
];

/// A report's filters; `None` means all.
#[derive(Debug, Clone)]
pub struct ReportParams {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// How long a device must be quiet to count as silent (`silent`).
    pub minutes: u32,
}

impl Default for ReportParams {
    fn default() -> Self {
        Self {
            site: None,
            from: None,
            to: None,
            minutes: 15,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("no report named {0:?} (alarmlake report list shows them)")]
    Unknown(String),
    #[error("{0:?} is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
}

pub fn find(name: &str) -> Result<&'static Report, ReportError> {
    REPORTS
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ReportError::Unknown(name.to_string()))
}

fn literal(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("'{}'", v.replace('\'', "''")),
        None => "NULL".to_string(),
    }
}

fn date(value: Option<&str>) -> Result<String, ReportError> {
    match value {
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| literal(Some(&d.to_string())))
            .map_err(|_| ReportError::BadDate(v.to_string())),
        None => Ok(literal(None)),
    }
}

impl Report {
    /// The report's SQL with its parameters filled in.
    pub fn sql(&self, params: &ReportParams) -> Result<String, ReportError> {
        Ok(self
            .sql
            .replace("{{site}}", &literal(params.site.as_deref()))
            .replace("{{from}}", &date(params.from.as_deref())?)
            .replace("{{to}}", &date(params.to.as_deref())?)
            .replace("{{minutes}}", &params.minutes.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_literals() {
        let report = find("volume").unwrap();
        let sql = report
            .sql(&ReportParams {
                site: Some("o'neil".into()),
                from: Some("2024-01-02".into()),
                to: None,
                minutes: 15,
            })
            .unwrap();
        assert!(
            sql.contains("site = 'o''neil'")
                && sql.contains("CAST('2024-01-02' AS DATE)")
                && sql.contains("NULL IS NULL")
        );
        assert!(!sql.contains("{{"));
        assert_eq!(
            report.sql(&ReportParams {
                from: Some("yesterday".into()),
                ..Default::default()
            }),
            Err(ReportError::BadDate("yesterday".into()))
        );
        assert!(matches!(find("nope"), Err(ReportError::Unknown(_))));
        for report in REPORTS {
            assert!(
                report.sql.trim_start().starts_with("-- "),
                "{} starts with its description",
                report.name
            );
        }
    }
}
