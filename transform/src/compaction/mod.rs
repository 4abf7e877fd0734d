//! Compaction: merging the small files of closed partitions into files of a target size,
//! sorted by (site, event_time), with duplicate rows (by stream position) removed.
//!
//! A consumer flushing every minute on several shards leaves hundreds of files in an hour;
//! every query pays for each file's footer and column chunks. Compaction rewrites closed hours
//! (whose whole hour ended longer ago than `older_than`) and nothing else.
//!
//! Each partition is one Delta commit: Remove the merged files and Add the merged one, both with
//! dataChange=false. A reader sees either the small files or the merged one, never both and
//! never neither; the small files stay on disk for readers of older snapshots until vacuum
//! deletes them. A crash before the commit leaves an unreferenced output that vacuum removes;
//! only committed files are ever merged, so a consumer's files in flight are never touched.

mod grouping;
mod inspect;
mod merge;

use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};
use md5::{Digest, Md5};

use crate::closed_partitions::{ClosedPartition, closed_partitions};
use crate::delta::{DeltaError, LiveFile, TableLog};
use crate::lake::{Lake, LakeError};
use crate::parquet_file::{EncodeError, encode};
use crate::partition::PartitionKey;
use crate::writer::PreparedFile;

pub use inspect::{Candidate, Inspected};

#[derive(Debug, thiserror::Error)]
pub enum CompactionError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("reading Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("schema: {0}")]
    Schema(String),
    #[error(transparent)]
    Delta(#[from] DeltaError),
    #[error(
        "merging {folder} would write {written} rows for {read} read and {duplicates} duplicates; nothing was deleted"
    )]
    RowCount {
        folder: String,
        read: u64,
        written: u64,
        duplicates: u64,
    },
}

/// What to compact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionConfig {
    /// Only hours that ended at least this long ago.
    pub older_than: Duration,
    /// Only hours that ended after this instant (a scheduled run looks back a few days only).
    pub since: Option<DateTime<Utc>>,
    /// Size of the files written, in bytes (inputs are packed up to it).
    pub target_bytes: u64,
}

impl Default for CompactionConfig {
    fn default() -> Self {
        CompactionConfig {
            older_than: Duration::hours(2),
            since: None,
            target_bytes: 128 * 1024 * 1024,
        }
    }
}

/// One output file and the inputs it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOutput {
    pub inputs: Vec<Candidate>,
    /// Path relative to the lake root.
    pub output: String,
}

/// What compaction will do to one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    pub table: Table,
    pub partition: PartitionKey,
    pub folder: String,
    pub outputs: Vec<PlannedOutput>,
    /// Files of the partition that stay as they are.
    pub kept: usize,
    /// Files left alone because they are not alarmlake's, unreadable, or newer; with why.
    pub left_alone: Vec<(String, String)>,
    /// The partition's files as the snapshot held them when planned.
    pub files: Vec<LiveFile>,
}

/// What compacting one partition did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compacted {
    pub files_in: u64,
    pub files_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub rows_out: u64,
    pub duplicates: u64,
}

impl std::ops::AddAssign for Compacted {
    fn add_assign(&mut self, other: Compacted) {
        self.files_in += other.files_in;
        self.files_out += other.files_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.rows_out += other.rows_out;
        self.duplicates += other.duplicates;
    }
}

/// The closed partitions of `tables` as of `now`, from each table's latest snapshot.
pub async fn closed(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
    now: DateTime<Utc>,
) -> Result<Vec<ClosedPartition>, CompactionError> {
    Ok(closed_partitions(lake, tables, now - config.older_than, config.since).await?)
}

/// Decides what to merge in each listed partition. Partitions with nothing to do and nothing
/// to report are left out.
pub async fn plan(
    lake: &Lake,
    partitions: &[ClosedPartition],
    config: &CompactionConfig,
) -> Result<Vec<PartitionPlan>, CompactionError> {
    let mut plans = Vec::new();
    for partition in partitions {
        let mut candidates = Vec::new();
        let mut left_alone = Vec::new();
        for file in &partition.files {
            match inspect::inspect(lake, partition.table, &file.path, file.size).await? {
                Inspected::Candidate(candidate) => candidates.push(candidate),
                Inspected::LeftAlone { path, reason } => left_alone.push((path, reason)),
            }
        }
        let groups = grouping::group(&candidates, config.target_bytes);
        let merged: usize = groups.iter().map(Vec::len).sum();
        let outputs: Vec<PlannedOutput> = groups
            .into_iter()
            .map(|members| {
                let inputs: Vec<Candidate> =
                    members.into_iter().map(|i| candidates[i].clone()).collect();
                let output = format!("{}/{}", partition.folder, output_name(&inputs));
                PlannedOutput { inputs, output }
            })
            .collect();
        if outputs.is_empty() && left_alone.is_empty() {
            continue;
        }
        plans.push(PartitionPlan {
            table: partition.table,
            partition: partition.partition,
            folder: partition.folder.clone(),
            outputs,
            kept: candidates.len() - merged,
            left_alone,
            files: partition.files.clone(),
        });
    }
    Ok(plans)
}

/// A name from the inputs and the moment of planning: never an input's name, and never the
/// name of an earlier run's output, so a compactor that stalled and wakes up late cannot
/// overwrite a file a snapshot references.
fn output_name(inputs: &[Candidate]) -> String {
    let mut names: Vec<&str> = inputs.iter().map(|c| c.path.as_str()).collect();
    names.sort_unstable();
    let digest = Md5::digest(names.join("\n").as_bytes());
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("compacted-{hash}-{nanos:x}.parquet")
}

/// Compacts one planned partition: writes the merged files, then commits them in place of
/// their inputs in one commit. Hold the [`crate::commit::CompactionLock`].
pub async fn compact(
    lake: &Lake,
    log: &mut TableLog,
    plan: &PartitionPlan,
    config: &CompactionConfig,
) -> Result<Compacted, CompactionError> {
    if plan.outputs.is_empty() {
        return Ok(Compacted::default());
    }
    let mut done = Compacted::default();
    let mut outputs = Vec::with_capacity(plan.outputs.len());
    for output in &plan.outputs {
        let inputs: Vec<&Candidate> = output.inputs.iter().collect();
        let read: u64 = inputs.iter().map(|c| c.rows).sum();
        let (batch, duplicates) = merge::merge(lake, plan.table, &inputs).await?;
        let written = batch.num_rows() as u64;
        if written + duplicates != read {
            // Nothing is committed: the outputs written so far are in no snapshot.
            let paths: Vec<String> = outputs
                .iter()
                .map(|f: &PreparedFile| f.path.clone())
                .collect();
            lake.delete(&paths).await?;
            return Err(CompactionError::RowCount {
                folder: plan.folder.clone(),
                read,
                written,
                duplicates,
            });
        }
        let encoded = encode(plan.table, &batch)?;
        let file = PreparedFile {
            path: output.output.clone(),
            table: plan.table,
            partition: plan.partition,
            rows: written,
            bytes: encoded.bytes,
            positions: encoded.positions,
            stats: encoded.stats,
        };
        let written_files = lake.write(std::slice::from_ref(&file)).await?;
        pause().await;
        done += Compacted {
            files_in: inputs.len() as u64,
            files_out: 1,
            bytes_in: inputs.iter().map(|c| c.bytes).sum(),
            bytes_out: written_files.iter().map(|f| f.bytes).sum(),
            rows_out: written,
            duplicates,
        };
        outputs.push(file);
    }
    let merged: std::collections::HashSet<&str> = plan
        .outputs
        .iter()
        .flat_map(|o| o.inputs.iter().map(|c| c.path.as_str()))
        .collect();
    let removed: Vec<LiveFile> = plan
        .files
        .iter()
        .filter(|f| merged.contains(f.path.as_str()))
        .cloned()
        .collect();
    let added: Vec<&PreparedFile> = outputs.iter().collect();
    log.replace(&removed, &added, config.target_bytes).await?;
    pause().await;
    Ok(done)
}

/// A test hook: `ALARMLAKE_TEST_PAUSE_COMPACT_MS` sleeps after every step of [`compact`], so a
/// crash test can kill it between any two of them. Unset in production.
async fn pause() {
    static PAUSE: OnceLock<Option<StdDuration>> = OnceLock::new();
    let pause = *PAUSE.get_or_init(|| {
        std::env::var("ALARMLAKE_TEST_PAUSE_COMPACT_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(StdDuration::from_millis)
    });
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
}
