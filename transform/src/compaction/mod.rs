//! Compaction: merging the small files of closed partitions into files of a target size,
//! sorted by (site, event_time), with duplicate rows (by stream position) removed.
//!
//! A consumer flushing every minute on several shards leaves hundreds of files in an hour;
//! every query pays for each file's footer and column chunks. Compaction rewrites closed hours
//! (whose whole hour ended longer ago than `older_than`) and nothing else, under the intent
//! protocol of [`crate::commit::compaction_journal`], so a crash at any point leaves each row once after the next run.
//!
//! What a concurrent reader sees: a query that lists a partition after the outputs are written
//! and before the inputs are deleted (a few puts and deletes apart) counts those rows twice;
//! one that listed it before the deletes and reads a deleted input afterwards fails with "not
//! found" and can be run again. Before and after, answers are the same, minus any duplicates
//! compaction removed.
//!
//! Files named in a consumer's pending intent are never touched: the consumer may still delete
//! and rewrite them. The caller lists the partitions first ([`closed`]), then reads the pending
//! intents, then [`plan`]s, so an intent recorded after the listing cannot name a listed file
//! without being seen.

mod grouping;
mod inspect;
mod merge;

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};
use md5::{Digest, Md5};

use crate::closed_partitions::{ClosedPartition, closed_partitions};
use crate::lake::{Lake, LakeError};
use crate::parquet_file::{EncodeError, encode};
use crate::partition::PartitionKey;
use crate::writer::PreparedFile;

use crate::commit::compaction_journal as journal;
pub use crate::commit::{CompactionIntent, IntentGroup, Recovered};
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
    #[error("compaction intent is not valid JSON: {0}")]
    IntentJson(serde_json::Error),
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
    /// Files named in a consumer's pending intent.
    pub protected: usize,
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

/// The closed partitions of `tables` as of `now`: step one, before reading pending intents.
pub async fn closed(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
    now: DateTime<Utc>,
) -> Result<Vec<ClosedPartition>, CompactionError> {
    Ok(closed_partitions(lake, tables, now - config.older_than, config.since).await?)
}

/// Decides what to merge in each listed partition; `protected` holds the paths named in
/// consumers' pending intents. Partitions with nothing to do and nothing to report are left
/// out.
pub async fn plan(
    lake: &Lake,
    partitions: &[ClosedPartition],
    protected: &HashSet<String>,
    config: &CompactionConfig,
) -> Result<Vec<PartitionPlan>, CompactionError> {
    let mut plans = Vec::new();
    for partition in partitions {
        let mut candidates = Vec::new();
        let mut left_alone = Vec::new();
        let mut protected_here = 0;
        for (path, bytes) in &partition.files {
            let name = path.rsplit('/').next().unwrap_or(path);
            if !name.ends_with(".parquet") || name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if protected.contains(path) {
                protected_here += 1;
                continue;
            }
            match inspect::inspect(lake, partition.table, path, *bytes).await? {
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
            protected: protected_here,
        });
    }
    Ok(plans)
}

/// A name that depends only on the inputs, so a rerun of the same merge overwrites its own
/// output and never names an input.
fn output_name(inputs: &[Candidate]) -> String {
    let mut names: Vec<&str> = inputs.iter().map(|c| c.path.as_str()).collect();
    names.sort_unstable();
    let digest = Md5::digest(names.join("\n").as_bytes());
    let hash: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("compacted-{hash}.parquet")
}

/// Compacts one planned partition under the intent protocol. Hold the [`CompactionLock`].
pub async fn compact(lake: &Lake, plan: &PartitionPlan) -> Result<Compacted, CompactionError> {
    if plan.outputs.is_empty() {
        return Ok(Compacted::default());
    }
    let intent = CompactionIntent {
        folder: plan.folder.clone(),
        groups: plan
            .outputs
            .iter()
            .map(|o| IntentGroup {
                inputs: o.inputs.iter().map(|c| c.path.clone()).collect(),
                output: o.output.clone(),
            })
            .collect(),
    };
    journal::record(lake, &intent).await?;
    pause().await;
    let mut done = Compacted::default();
    for output in &plan.outputs {
        let inputs: Vec<&Candidate> = output.inputs.iter().collect();
        let read: u64 = inputs.iter().map(|c| c.rows).sum();
        let (batch, duplicates) = merge::merge(lake, plan.table, &inputs).await?;
        let written = batch.num_rows() as u64;
        if written + duplicates != read {
            // Undo what this partition wrote so far; its inputs are all still there.
            let outputs: Vec<String> = plan.outputs.iter().map(|o| o.output.clone()).collect();
            lake.delete(&outputs).await?;
            journal::clear(lake, &plan.folder).await?;
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
    }
    for output in &plan.outputs {
        for input in &output.inputs {
            lake.delete(std::slice::from_ref(&input.path)).await?;
            pause().await;
        }
    }
    journal::clear(lake, &plan.folder).await?;
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
