//! Retention: deleting the hour partitions that ended longer ago than a window, as a bucket's
//! expiry rule would, but by event time and partition by partition.
//!
//! Only partition folders of the lake's tables (`<table>/date=YYYY-MM-DD/hour=HH/`) are ever
//! considered. A partition expires when its whole hour lies before the cut-off, so the hour
//! being written now (and any later one) is never touched, and neither is `_alarmlake/`
//! (checkpoints, leases) or anything else a user keeps next to the tables.

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};

use crate::closed_partitions::closed_partitions;
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
    let closed = closed_partitions(lake, tables, now - keep, None).await?;
    Ok(closed
        .into_iter()
        .map(|p| ExpiredPartition {
            table: p.table,
            partition: p.partition,
            bytes: p.bytes(),
            files: p.files.into_iter().map(|(path, _)| path).collect(),
        })
        .collect())
}

/// Deletes the files of `partitions` (and, on a local lake, their emptied folders).
pub async fn delete(lake: &Lake, partitions: &[ExpiredPartition]) -> Result<(), RetentionError> {
    for partition in partitions {
        lake.delete(&partition.files).await?;
    }
    Ok(())
}
