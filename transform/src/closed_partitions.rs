//! Finding the hour partitions that are closed: their whole hour, by event time, lies before a
//! cut-off. Retention removes such partitions and compaction rewrites them; both must leave the
//! hour being written now alone. Partitions are read from each table's latest Delta snapshot,
//! so only committed files are ever considered.

use std::collections::BTreeMap;

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};

use crate::delta::{DeltaError, LiveFile, TableLog, data_files};
use crate::lake::Lake;
use crate::partition::PartitionKey;

/// One closed partition and the files in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedPartition {
    pub table: Table,
    pub partition: PartitionKey,
    /// The partition's folder relative to the lake root.
    pub folder: String,
    /// The snapshot's files in it, sorted by path.
    pub files: Vec<LiveFile>,
}

impl ClosedPartition {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// The partitions of `tables` whose hour ended at or before `cutoff` (and, with `since`, ended
/// after it), oldest first, as each table's latest snapshot holds them. A table folder with
/// files but no log is an error ([`DeltaError::Unconverted`]): maintenance must not treat an
/// unconverted lake as empty.
pub async fn closed_partitions(
    lake: &Lake,
    tables: &[Table],
    cutoff: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<ClosedPartition>, DeltaError> {
    let mut found = Vec::new();
    for &table in tables {
        let Some(log) = TableLog::open(lake, table).await? else {
            if !data_files(lake, table, 1).await?.is_empty() {
                return Err(DeltaError::Unconverted {
                    table: table.name(),
                });
            }
            continue;
        };
        let mut hours: BTreeMap<PartitionKey, Vec<LiveFile>> = BTreeMap::new();
        for file in log.files()? {
            if let Some(partition) = file.partition {
                hours.entry(partition).or_default().push(file);
            }
        }
        found.extend(hours.into_iter().filter_map(|(partition, mut files)| {
            let end = hour_end(partition)?;
            if end > cutoff || since.is_some_and(|s| end <= s) {
                return None;
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            Some(ClosedPartition {
                table,
                partition,
                folder: partition.dir(table),
                files,
            })
        }));
    }
    found.sort_by(|a, b| (a.partition, a.table.name()).cmp(&(b.partition, b.table.name())));
    Ok(found)
}

/// The end of a partition's hour; `None` for an hour that does not exist (`hour=24`).
pub(crate) fn hour_end(partition: PartitionKey) -> Option<DateTime<Utc>> {
    let start = partition.date.and_hms_opt(partition.hour, 0, 0)?.and_utc();
    Some(start + Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

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

    #[tokio::test]
    async fn a_folder_of_files_without_a_log_is_not_an_empty_table() {
        use object_store::{ObjectStoreExt, PutPayload};
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let cutoff = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        let none = closed_partitions(&lake, &Table::ALL, cutoff, None)
            .await
            .unwrap();
        assert!(none.is_empty());
        let path = lake
            .path("alarm_events/date=2026-11-22/hour=22/a.parquet")
            .unwrap();
        lake.store()
            .put(&path, PutPayload::from_static(b"x"))
            .await
            .unwrap();
        let error = closed_partitions(&lake, &Table::ALL, cutoff, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                DeltaError::Unconverted {
                    table: "alarm_events"
                }
            ),
            "{error}"
        );
    }
}
