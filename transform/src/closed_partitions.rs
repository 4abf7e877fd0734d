//! Finding the hour partitions that are closed: their whole hour, by event time, lies before a
//! cut-off. Retention deletes such partitions and compaction rewrites them; both must leave the
//! hour being written now alone, and both must ignore `_alarmlake/` and anything else a user
//! keeps next to the tables.

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::lake::{Lake, LakeError};
use crate::partition::PartitionKey;

/// One closed partition and the files in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedPartition {
    pub table: Table,
    pub partition: PartitionKey,
    /// The partition's folder relative to the lake root, as it is spelled in the lake.
    pub folder: String,
    /// Paths relative to the lake root, with their sizes in bytes, sorted by path.
    pub files: Vec<(String, u64)>,
}

impl ClosedPartition {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, size)| size).sum()
    }
}

/// The partitions of `tables` whose hour ended at or before `cutoff` (and, with `since`, ended
/// after it), oldest first.
///
/// Date folders are listed with a delimiter first, so a long history is not listed file by
/// file; only the hours that qualify are listed in full.
pub async fn closed_partitions(
    lake: &Lake,
    tables: &[Table],
    cutoff: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<ClosedPartition>, LakeError> {
    let mut found = Vec::new();
    for &table in tables {
        for date_value in child_values(lake, table.name(), "date=").await? {
            let Ok(date) = NaiveDate::parse_from_str(&date_value, "%Y-%m-%d") else {
                continue;
            };
            let Some(day_start) = date.and_hms_opt(0, 0, 0).map(|t| t.and_utc()) else {
                continue;
            };
            if day_start >= cutoff || since.is_some_and(|s| day_start + Duration::days(1) <= s) {
                continue;
            }
            let day_folder = format!("{}/date={date_value}", table.name());
            for hour_value in child_values(lake, &day_folder, "hour=").await? {
                let Ok(hour) = hour_value.parse::<u32>() else {
                    continue;
                };
                let partition = PartitionKey { date, hour };
                let Some(end) = hour_end(partition) else {
                    continue;
                };
                if end > cutoff || since.is_some_and(|s| end <= s) {
                    continue;
                }
                let folder = format!("{day_folder}/hour={hour_value}");
                let files = lake.list_sized(&folder).await?;
                found.push(ClosedPartition {
                    table,
                    partition,
                    folder,
                    files,
                });
            }
        }
    }
    found.sort_by(|a, b| {
        (a.partition, a.table.name(), &a.folder).cmp(&(b.partition, b.table.name(), &b.folder))
    });
    Ok(found)
}

/// The end of a partition's hour; `None` for an hour that does not exist (`hour=24`).
pub(crate) fn hour_end(partition: PartitionKey) -> Option<DateTime<Utc>> {
    let start = partition.date.and_hms_opt(partition.hour, 0, 0)?.and_utc();
    Some(start + Duration::hours(1))
}

/// The values of the `key=value` folders directly under `relative`.
async fn child_values(lake: &Lake, relative: &str, key: &str) -> Result<Vec<String>, LakeError> {
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
    use bytes::Bytes;
    use chrono::TimeZone;
    use object_store::{ObjectStoreExt, PutPayload};

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
    async fn only_hours_between_since_and_cutoff_are_closed() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        for path in [
            "alarm_events/date=2026-11-22/hour=22/a.parquet",
            "alarm_events/date=2026-11-22/hour=23/a.parquet",
            "alarm_events/date=2026-11-23/hour=00/a.parquet",
            "alarm_events/date=2026-11-23/hour=01/a.parquet",
            "alarm_events/date=bad/hour=01/a.parquet",
            "alarm_events/date=2026-11-23/hour=xx/a.parquet",
            "_alarmlake/date=2026-11-01/hour=01/a.parquet",
        ] {
            let path = lake.path(path).unwrap();
            let payload = PutPayload::from(Bytes::from_static(b"x"));
            lake.store().put(&path, payload).await.unwrap();
        }
        let cutoff = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        let since = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        let all = closed_partitions(&lake, &Table::ALL, cutoff, None)
            .await
            .unwrap();
        let folders: Vec<&str> = all.iter().map(|p| p.folder.as_str()).collect();
        assert_eq!(
            folders,
            [
                "alarm_events/date=2026-11-22/hour=22",
                "alarm_events/date=2026-11-22/hour=23",
                "alarm_events/date=2026-11-23/hour=00"
            ]
        );
        let recent = closed_partitions(&lake, &Table::ALL, cutoff, Some(since))
            .await
            .unwrap();
        let folders: Vec<&str> = recent.iter().map(|p| p.folder.as_str()).collect();
        assert_eq!(
            folders,
            [
                "alarm_events/date=2026-11-22/hour=23",
                "alarm_events/date=2026-11-23/hour=00"
            ]
        );
        assert_eq!(recent[0].files.len(), 1);
        assert_eq!(recent[0].bytes(), 1);
    }
}
