//! Lake maintenance that must respect the consumers writing to the lake: compaction (which
//! leaves files named in pending intents alone) and retention. Used by `alarmlake compact`,
//! `alarmlake retain`, and the schedules inside `alarmlake consume`.

use std::collections::HashSet;

use alarmlake_schemas::Table;
use chrono::{Duration, Utc};

use crate::commit::{self, CompactionLock, HeldBy, IntentError, Recovered, pending_intent_files};
use crate::compaction::{self, Compacted, CompactionConfig, CompactionError, PartitionPlan};
use crate::lake::{Lake, LakeError};

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("compaction: {0}")]
    Compaction(#[from] CompactionError),
    #[error("reading consumers' checkpoints: {0}")]
    Intent(#[from] IntentError),
    #[error("opening the checkpoint store: {0}")]
    Lake(#[from] LakeError),
}

/// How long a compaction lock lasts without renewal; it is renewed after every partition. A
/// compactor that died on another host blocks the next run on the lake for at most this long.
const LOCK_TERM: Duration = Duration::minutes(10);

/// A place where consumers keep checkpoints: a store and the prefix inside it.
#[derive(Debug, Clone)]
pub struct CheckpointLocation {
    pub store: Lake,
    pub prefix: String,
}

/// What one compaction run found and did.
#[derive(Debug, Default)]
pub struct CompactionRun {
    /// Another compactor held the lock; nothing was done.
    pub held_by: Option<HeldBy>,
    /// Interrupted compactions finished or undone first.
    pub recovered: Recovered,
    pub plans: Vec<PartitionPlan>,
    pub done: Compacted,
}

/// Compacts the closed partitions of `tables` (or only plans, with `dry_run`): takes the
/// lake's compaction lock, recovers interrupted runs, lists, reads the consumers' pending
/// intents (after listing; see [`compaction`]), plans, and merges partition by partition.
/// `on_done` hears about each partition as it finishes.
pub async fn compact_lake(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
    checkpoints: &[CheckpointLocation],
    dry_run: bool,
    owner: &str,
    mut on_done: impl FnMut(&PartitionPlan, &Compacted),
) -> Result<CompactionRun, MaintenanceError> {
    let mut run = CompactionRun::default();
    let lock = if dry_run {
        None
    } else {
        match CompactionLock::acquire(lake, owner, LOCK_TERM).await? {
            Ok(lock) => Some(lock),
            Err(held_by) => {
                run.held_by = Some(held_by);
                return Ok(run);
            }
        }
    };
    let result = compact_locked(
        lake,
        tables,
        config,
        checkpoints,
        lock.as_ref(),
        &mut run,
        &mut on_done,
    )
    .await;
    if let Some(lock) = lock {
        // Released even after an error, so the next run can recover at once.
        lock.release().await?;
    }
    result.map(|()| run)
}

async fn compact_locked(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
    checkpoints: &[CheckpointLocation],
    lock: Option<&CompactionLock>,
    run: &mut CompactionRun,
    on_done: &mut impl FnMut(&PartitionPlan, &Compacted),
) -> Result<(), MaintenanceError> {
    if lock.is_some() {
        run.recovered = commit::compaction_journal::recover(lake).await?;
    }
    let closed = compaction::closed(lake, tables, config, Utc::now()).await?;
    let mut protected = HashSet::new();
    for location in checkpoints {
        protected.extend(pending_intent_files(&location.store, &location.prefix).await?);
    }
    run.plans = compaction::plan(lake, &closed, &protected, config).await?;
    let Some(lock) = lock else {
        return Ok(());
    };
    for plan in &run.plans {
        let done = compaction::compact(lake, plan).await?;
        run.done += done;
        on_done(plan, &done);
        lock.renew().await?;
    }
    Ok(())
}

/// The checkpoint locations to respect for a lake: its own `_alarmlake/checkpoints` (every
/// consumer's default), plus an explicit one if consumers were given `--checkpoints`.
pub fn checkpoint_locations(
    lake: &Lake,
    explicit: Option<&str>,
    s3_endpoint: Option<&str>,
) -> Result<Vec<CheckpointLocation>, MaintenanceError> {
    let mut locations = vec![CheckpointLocation {
        store: lake.clone(),
        prefix: commit::CHECKPOINTS.to_string(),
    }];
    if let Some(location) = explicit {
        let store = Lake::open(location, s3_endpoint)?;
        locations.push(CheckpointLocation {
            store,
            prefix: String::new(),
        });
    }
    Ok(locations)
}
