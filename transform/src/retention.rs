//! Retention: deleting the hour partitions that ended longer ago than a window, as a bucket's
//! expiry rule would, but by event time and partition by partition.
//!
//! Only partition folders of the lake's tables (`<table>/date=YYYY-MM-DD/hour=HH/`) are ever
//! considered. A partition expires when its whole hour lies before the cut-off, so the hour
//! being written now (and any later one) is never touched, and neither is `_alarmlake/`
//! (checkpoints, leases) or anything else a user keeps next to the tables.

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::lake::{Lake, LakeError};
use crate::partition::PartitionKey;

/// The shortest window accepted: anything shorter could delete the partition being written.
pub const MIN_KEEP: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the retention window must be at least one hour, not {0} s")]
    WindowTooShort(i64),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// One partition past the window, with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredPartition {
    pub table: Table,
    pub partition: PartitionKey,
    /// Paths relative to the lake root.
    pub files: Vec<String>,
    pub bytes: u64,
}

/// The partitions of `tables` whose hour ended at or before `now - keep`, oldest first.
pub async fn expired(
    lake: &Lake,
    tables: &[Table],
    keep: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<ExpiredPartition>, RetentionError> {
    if keep < MIN_KEEP {
        return Err(RetentionError::WindowTooShort(keep.num_seconds()));
    }
    let cutoff = now - keep;
    let mut found = Vec::new();
    for &table in tables {
        // Dates first, with a delimiter, so a long history is not listed file by file.
        for date in child_values(lake, table.name(), "date=").await? {
            let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
                continue;
            };
            let day_start = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            if day_start.is_none_or(|start| start >= cutoff) {
                continue;
            }
            let folder = format!("{}/date={}", table.name(), date.format("%Y-%m-%d"));
            for hour in child_values(lake, &folder, "hour=").await? {
                let Ok(hour) = hour.parse::<u32>() else {
                    continue;
                };
                let partition = PartitionKey { date, hour };
                let Some(end) = hour_end(partition) else {
                    continue;
                };
                if end > cutoff {
                    continue;
                }
                let listed = lake.list_sized(&partition.dir(table)).await?;
                let bytes = listed.iter().map(|(_, size)| size).sum();
                let files = listed.into_iter().map(|(path, _)| path).collect();
                found.push(ExpiredPartition {
                    table,
                    partition,
                    files,
                    bytes,
                });
            }
        }
    }
    found.sort_by_key(|p| (p.partition, p.table.name()));
    Ok(found)
}

/// Deletes the files of `partitions` (and, on a local lake, their emptied folders).
pub async fn delete(lake: &Lake, partitions: &[ExpiredPartition]) -> Result<(), RetentionError> {
    for partition in partitions {
        lake.delete(&partition.files).await?;
    }
    Ok(())
}

/// The end of a partition's hour; `None` for an hour that does not exist (`hour=24`).
fn hour_end(partition: PartitionKey) -> Option<DateTime<Utc>> {
    let start = partition.date.and_hms_opt(partition.hour, 0, 0)?.and_utc();
    Some(start + Duration::hours(1))
}

/// The values of the `key=value` folders directly under `relative`.
async fn child_values(
    lake: &Lake,
    relative: &str,
    key: &str,
) -> Result<Vec<String>, RetentionError> {
    Ok(lake
        .subfolders(relative)
        .await?
        .into_iter()
        .filter_map(|name| name.strip_prefix(key).map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_hour_ends_an_hour_after_it_starts() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let end = hour_end(PartitionKey {
            date: day,
            hour: 23,
        })
        .unwrap();
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        assert_eq!(
            hour_end(PartitionKey {
                date: day,
                hour: 24
            }),
            None
        );
    }
}
