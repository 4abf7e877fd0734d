//! Reading each lake table's Delta snapshot: which files are committed at the version a session
//! reads (the latest, or an older one with `--as-of`), and the table's history.

use std::sync::Arc;

use alarmlake_schemas::Table;
use chrono::{DateTime, TimeZone, Utc};
use deltalake_core::logstore::{StorageConfig, default_logstore};
use deltalake_core::{DeltaTable, DeltaTableError};
use futures::StreamExt;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectMeta, ObjectStore};
use url::Url;

use crate::log_statistics::LogStatistics;
use crate::session::QueryError;

/// Which version of every table a session reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum AsOf {
    #[default]
    Latest,
    /// A table version (the same number for every table: useful with one table in a query).
    Version(u64),
    /// The version each table had at that instant.
    Time(DateTime<Utc>),
}

impl AsOf {
    /// Parses `--as-of`: a version number, or a time as RFC 3339 (`2026-12-05T10:00:00Z`) or a
    /// date and time in UTC (`2026-12-05 10:00`, `2026-12-05`).
    pub fn parse(text: &str) -> Result<AsOf, String> {
        let text = text.trim();
        if let Ok(version) = text.parse::<u64>() {
            return Ok(AsOf::Version(version));
        }
        if let Ok(time) = DateTime::parse_from_rfc3339(text) {
            return Ok(AsOf::Time(time.with_timezone(&Utc)));
        }
        for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(time) = chrono::NaiveDateTime::parse_from_str(text, format) {
                return Ok(AsOf::Time(Utc.from_utc_datetime(&time)));
            }
        }
        if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(AsOf::Time(
                Utc.from_utc_datetime(&date.and_time(Default::default())),
            ));
        }
        Err(format!(
            "--as-of {text:?} is neither a version number nor a time (2026-12-05T10:00:00Z)"
        ))
    }
}

/// The Delta table at `url` (a table folder), read through `root` (the store in which the
/// URL's path is the object path).
pub fn delta_table(root: &Arc<dyn ObjectStore>, url: &Url) -> Result<DeltaTable, QueryError> {
    let prefix = Path::from_url_path(url.path())?;
    let prefixed: Arc<dyn ObjectStore> = Arc::new(PrefixStore::new(root.clone(), prefix));
    Ok(DeltaTable::new(default_logstore(
        prefixed,
        root.clone(),
        url,
        &StorageConfig::default(),
    )))
}

/// Whether the folder at `url` holds a Delta log.
///
/// *Why ask first:* the kernel reports a missing folder as a location error (and logs it), not
/// as "no table". One listed entry answers it: a long log (100,000 commit files before log
/// cleanup) listed whole cost every session a tenth of a second per table.
pub async fn has_log(root: &Arc<dyn ObjectStore>, url: &Url) -> Result<bool, QueryError> {
    let log = Path::from_url_path(url.path())?.join("_delta_log");
    match root.list(Some(&log)).next().await {
        None => Ok(false),
        Some(found) => found.map(|_| true).map_err(QueryError::from),
    }
}

/// What a session reads of one Delta table: the version, its files, and their statistics.
pub struct Snapshot {
    pub version: u64,
    /// The files the snapshot references, as the object store would list them.
    pub files: Vec<ObjectMeta>,
    pub statistics: LogStatistics,
}

/// `table`'s snapshot at `as_of`: `None` when the folder holds no Delta table.
pub async fn snapshot(
    root: &Arc<dyn ObjectStore>,
    url: &Url,
    table: Table,
    as_of: &AsOf,
) -> Result<Option<Snapshot>, QueryError> {
    if !has_log(root, url).await? {
        return Ok(None);
    }
    let mut delta = delta_table(root, url)?;
    let loaded = match as_of {
        AsOf::Latest => delta.load().await,
        AsOf::Version(version) => delta.load_version(*version).await,
        AsOf::Time(time) => delta.load_with_datetime(*time).await,
    };
    let broken = |detail: String| QueryError::Table {
        table: table.name(),
        detail,
    };
    match loaded {
        Ok(()) => {}
        Err(DeltaTableError::NotATable(_)) => return Ok(None),
        Err(e) => return Err(broken(e.to_string())),
    }
    let state = delta.snapshot().map_err(|e| broken(e.to_string()))?;
    let folder = Path::from_url_path(url.path())?;
    let mut files = Vec::with_capacity(state.log_data().num_files());
    for file in state.log_data().iter() {
        let location = Path::parse(format!("{folder}/{}", file.path()))
            .map_err(|e| broken(format!("the log names a file at an invalid path: {e}")))?;
        files.push(ObjectMeta {
            location,
            last_modified: DateTime::from_timestamp_millis(file.modification_time())
                .unwrap_or_default(),
            size: file.size().max(0) as u64,
            e_tag: None,
            version: None,
        });
    }
    let actions = state
        .add_actions_batches(false)
        .map_err(|e| broken(format!("cannot read the files' statistics: {e}")))?;
    let statistics = LogStatistics::new(&folder, actions).map_err(broken)?;
    Ok(Some(Snapshot {
        version: state.version(),
        files,
        statistics,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_reads_versions_and_times() {
        assert_eq!(AsOf::parse("12"), Ok(AsOf::Version(12)));
        let noon = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        assert_eq!(AsOf::parse("2026-12-05T12:00:00Z"), Ok(AsOf::Time(noon)));
        assert_eq!(
            AsOf::parse("2026-12-05T13:00:00+01:00"),
            Ok(AsOf::Time(noon))
        );
        assert_eq!(AsOf::parse("2026-12-05 12:00"), Ok(AsOf::Time(noon)));
        assert_eq!(
            AsOf::parse("2026-12-05"),
            Ok(AsOf::Time(
                Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap()
            ))
        );
        assert!(AsOf::parse("-1").is_err());
        assert!(AsOf::parse("yesterday").unwrap_err().contains("neither"));
    }
}
