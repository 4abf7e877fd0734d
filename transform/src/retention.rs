//! Retention: removing the hour partitions that ended longer ago than a window, as a bucket's
//! expiry rule would, but by event time, and as one Delta commit per table.
//!
//! A partition expires when its whole hour lies before the cut-off, so the hour being written
//! now (and any later one) is never touched. Removed files stay on disk for readers of older
//! snapshots until vacuum deletes them.

use std::collections::BTreeMap;

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};

use crate::closed_partitions::closed_partitions;
use crate::delta::{DeltaError, LiveFile, TableLog};
use crate::lake::Lake;
use crate::partition::PartitionKey;

/// The shortest window accepted: anything shorter could delete the partition being written.
pub const MIN_KEEP: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the retention window must be at least one hour, not {0} s")]
    WindowTooShort(i64),
    #[error(transparent)]
    Delta(#[from] DeltaError),
}

/// One partition past the window, with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredPartition {
    pub table: Table,
    pub partition: PartitionKey,
    /// The snapshot's files in it.
    pub files: Vec<LiveFile>,
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
            files: p.files,
        })
        .collect())
}

/// Removes `partitions` from their tables: one commit per table.
pub async fn remove(lake: &Lake, partitions: &[ExpiredPartition]) -> Result<(), RetentionError> {
    let mut by_table: BTreeMap<Table, Vec<LiveFile>> = BTreeMap::new();
    for partition in partitions {
        by_table
            .entry(partition.table)
            .or_default()
            .extend(partition.files.iter().cloned());
    }
    for (table, files) in by_table {
        if let Some(mut log) = TableLog::open(lake, table).await? {
            log.remove(&files).await?;
        }
    }
    Ok(())
}
