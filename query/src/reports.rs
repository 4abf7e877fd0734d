//! Ready-made reports: each is one readable `.sql` file in `query/reports/`, so users can copy
//! and adapt it. Parameters are substituted as SQL literals (dates are validated first), and
//! local time comes as inline tables (see [`crate::local_time`]), so the printed text runs
//! unchanged in alarmlake, DuckDB or Athena.
//!
//! A report may share a chain of CTEs with another through a fragment: `{{> name}}` is replaced
//! by `query/reports/fragments/name.sql`.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use crate::local_time::{offsets_sql, quoted};
use crate::sites::{Site, sites_sql};

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
    report!(
        "devices",
        "the latest event of every MODE device and when it came (device-state: each change)"
    ),
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
    report!(
        "false-alarms",
        "alarms a user cancelled or disarmed within --cancel-window (5m) of their start"
    ),
    report!(
        "false-alarm-rate",
        "alarm episodes, likely false ones and the false share, per site and month"
    ),
    report!(
        "troubles",
        "trouble conditions (battery, supervision, AC, communication, tamper), open ones first"
    ),
    report!(
        "silent-panels",
        "panels whose last periodic test (602) or last message is older than --hours (25)"
    ),
    report!(
        "openings",
        "the opening/closing audit: each arm and disarm with user, method and partition"
    ),
    report!(
        "device-state",
        "each MODE device's changes of state, how long each state lasted, and the current one"
    ),
    report!(
        "alarm-timeline",
        "one alarm at --site (the latest), step by step from first fault to restore"
    ),
];

/// Shared SQL, by the name `{{> name}}` gives, expanded in this order (so a fragment may use
/// the ones after it): a chain of CTEs, and the Contact ID codes that are alarms (medical,
/// fire, panic, burglary, general, gas, CO), which three reports select.
const FRAGMENTS: &[(&str, &str)] = &[
    (
        "alarm_episodes",
        include_str!("../reports/fragments/alarm_episodes.sql"),
    ),
    (
        "alarm_codes",
        include_str!("../reports/fragments/alarm_codes.sql"),
    ),
];

/// A report's filters; `None` means all.
#[derive(Debug, Clone)]
pub struct ReportParams {
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// How long a device must be quiet to count as silent (`silent`).
    pub minutes: u32,
    /// How old a panel's last test or message may be before it counts as silent
    /// (`silent-panels`).
    pub hours: u32,
    /// Seconds after an alarm's start within which a cancel or disarm marks it likely false.
    pub cancel_window: u32,
    /// The zone of sites the sites table does not list.
    pub tz: Tz,
    /// The sites table (`--sites`).
    pub sites: Vec<Site>,
}

impl Default for ReportParams {
    fn default() -> Self {
        Self {
            site: None,
            from: None,
            to: None,
            minutes: 15,
            hours: 25,
            cancel_window: 300,
            tz: Tz::UTC,
            sites: Vec::new(),
        }
    }
}

impl ReportParams {
    /// Whether any site may be in a zone other than UTC, so that a local date can fall on
    /// another UTC date.
    fn has_local_time(&self) -> bool {
        self.tz != Tz::UTC || self.sites.iter().any(|s| s.time_zone != Tz::UTC)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("no report named {0:?} (alarmlake report list shows them)")]
    Unknown(String),
    #[error("{0:?} is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
    #[error("report {0} needs --site SITE")]
    NeedsSite(&'static str),
}

pub fn find(name: &str) -> Result<&'static Report, ReportError> {
    REPORTS
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ReportError::Unknown(name.to_string()))
}

fn literal(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_string(), quoted)
}

fn date(value: Option<&str>) -> Result<Option<NaiveDate>, ReportError> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| ReportError::BadDate(v.into()))
        })
        .transpose()
}

fn date_literal(value: Option<NaiveDate>) -> String {
    literal(value.map(|d| d.to_string()).as_deref())
}

impl Report {
    /// Whether the report is about one site, which `--site` must name.
    pub fn needs_site(&self) -> bool {
        self.name == "alarm-timeline"
    }

    /// The report's SQL with its fragments and parameters filled in.
    pub fn sql(&self, params: &ReportParams) -> Result<String, ReportError> {
        if self.needs_site() && params.site.is_none() {
            return Err(ReportError::NeedsSite(self.name));
        }
        let mut sql = self.sql.to_string();
        for (name, fragment) in FRAGMENTS {
            sql = sql.replace(&format!("{{{{> {name}}}}}"), fragment.trim_end());
        }
        let (from, to) = (date(params.from.as_deref())?, date(params.to.as_deref())?);
        // Local dates span at most a day either side of the UTC date partitions hold.
        let margin = Days::new(u64::from(params.has_local_time()));
        let scan_from = from.and_then(|d| d.checked_sub_days(margin));
        let scan_to = to.and_then(|d| d.checked_add_days(margin));
        let zones = std::iter::once(params.tz).chain(params.sites.iter().map(|s| s.time_zone));
        Ok(sql
            .replace("{{sites}}", &sites_sql(&params.sites))
            .replace("{{offsets}}", &offsets_sql(zones))
            .replace("{{site}}", &literal(params.site.as_deref()))
            .replace("{{from}}", &date_literal(from))
            .replace("{{to}}", &date_literal(to))
            .replace("{{scan_from}}", &date_literal(scan_from))
            .replace("{{scan_to}}", &date_literal(scan_to))
            .replace("{{tz}}", &quoted(params.tz.name()))
            .replace("{{minutes}}", &params.minutes.to_string())
            .replace("{{hours}}", &params.hours.to_string())
            .replace("{{cancel_window}}", &params.cancel_window.to_string()))
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
                ..Default::default()
            })
            .unwrap();
        assert!(
            sql.contains("site = 'o''neil'")
                && sql.contains("CAST('2024-01-02' AS DATE)")
                && sql.contains("NULL IS NULL")
        );
        assert!(!sql.contains("{{"));
        // A local date may lie on the UTC date before or after it: the scan widens by a day.
        let local = report
            .sql(&ReportParams {
                from: Some("2024-01-02".into()),
                to: Some("2024-01-02".into()),
                tz: chrono_tz::America::New_York,
                ..Default::default()
            })
            .unwrap();
        assert!(
            local.contains("date >= CAST('2024-01-01' AS DATE)")
                && local.contains("date <= CAST('2024-01-03' AS DATE)")
                && local.contains("'America/New_York'")
        );
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
            // Every report prints local time: it converts with the offsets table.
            assert!(report.sql.contains("{{offsets}}"), "{}", report.name);
            // Every fragment and parameter is filled in.
            let filled = report
                .sql(&ReportParams {
                    site: Some("home-0001".into()),
                    ..Default::default()
                })
                .unwrap();
            assert!(!filled.contains("{{"), "{}", report.name);
        }
    }
}
