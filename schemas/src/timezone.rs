//! Naive local times to UTC, per site.
//!
//! Relays stamp events with the home's wall-clock time. Partitions are by UTC event time, so
//! every site needs its zone; a wrong zone silently files events under the wrong hour, which is
//! a known pain of these pipelines. The map is explicit configuration, with a default (UTC).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (expected an IANA name such as America/New_York)")]
pub struct UnknownTimeZone(pub String);

/// The site → time zone map, with a default for sites not listed.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeZones {
    default: Tz,
    by_site: HashMap<String, Tz>,
}

impl Default for TimeZones {
    fn default() -> Self {
        TimeZones {
            default: Tz::UTC,
            by_site: HashMap::new(),
        }
    }
}

/// Parses an IANA time zone name.
pub fn parse_tz(name: &str) -> Result<Tz, UnknownTimeZone> {
    Tz::from_str(name.trim()).map_err(|_| UnknownTimeZone(name.to_string()))
}

impl TimeZones {
    pub fn new(default: Tz) -> Self {
        TimeZones {
            default,
            by_site: HashMap::new(),
        }
    }

    /// Sets the zone of one site.
    pub fn insert(&mut self, site: impl Into<String>, tz: Tz) {
        self.by_site.insert(site.into(), tz);
    }

    /// The zone of `site`: its own entry, or the default.
    pub fn zone_of(&self, site: &str) -> Tz {
        self.by_site.get(site).copied().unwrap_or(self.default)
    }

    /// Converts a site's wall-clock time to UTC.
    ///
    /// Daylight-saving transitions make some local times ambiguous (the repeated hour in
    /// autumn: the earlier instant is taken, as a relay writing in order would have meant the
    /// first pass) and some nonexistent (the skipped hour in spring: read with the offset in force
    /// before the jump, as a clock that had not yet changed would have shown it).
    pub fn to_utc(&self, site: &str, local: NaiveDateTime) -> DateTime<Utc> {
        let tz = self.zone_of(site);
        if tz == Tz::UTC {
            return local.and_utc();
        }
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
            LocalResult::None => {
                let before = tz
                    .offset_from_utc_datetime(&(local - Duration::days(1)))
                    .fix();
                (local - Duration::seconds(i64::from(before.local_minus_utc()))).and_utc()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn default_is_utc_and_sites_override() {
        let mut zones = TimeZones::default();
        zones.insert("home-ny", parse_tz("America/New_York").unwrap());
        let t = at(2017, 1, 17, 23, 41);
        assert_eq!(zones.to_utc("other", t), t.and_utc());
        assert_eq!(
            zones.to_utc("home-ny", t).to_rfc3339(),
            "2017-01-18T04:41:00+00:00"
        );
    }

    #[test]
    fn dst_edges_are_resolved_deterministically() {
        let zones = TimeZones::new(parse_tz("America/New_York").unwrap());
        // 2024-11-03 01:30 happens twice; the first (EDT, -4) is taken.
        assert_eq!(
            zones.to_utc("s", at(2024, 11, 3, 1, 30)).to_rfc3339(),
            "2024-11-03T05:30:00+00:00"
        );
        // 2024-03-10 02:30 does not exist; read with EST (-5).
        assert_eq!(
            zones.to_utc("s", at(2024, 3, 10, 2, 30)).to_rfc3339(),
            "2024-03-10T07:30:00+00:00"
        );
    }

    #[test]
    fn unknown_zone_is_an_error() {
        assert!(parse_tz("Mars/Olympus").is_err());
        assert_eq!(parse_tz(" Europe/Paris ").unwrap(), Tz::Europe__Paris);
    }
}
