//! Lake maintenance, each step a Delta commit or a deletion no snapshot can notice: compaction,
//! retention and vacuum (which leaves the files of consumers' pending intents alone). Used by
//! `alarmlake compact`, `retain` and `vacuum`, and the schedules inside `alarmlake consume`.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashSet};

use alarmlake_aws::S3Settings;
use alarmlake_schemas::Table;
use chrono::{DateTime, Duration, Utc};

use crate::commit::{
    self, CompactionLock, HeldBy, IntentError, pending_intent_files, pending_intents,
};
use crate::compaction::{self, Compacted, CompactionConfig, CompactionError, PartitionPlan};
use crate::delta::{Converted, DeltaError, TableLog, convert_table};
use crate::lake::{Lake, LakeError};
use crate::retention::{self, ExpiredPartition, RetentionError};

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("compaction: {0}")]
    Compaction(#[from] CompactionError),
    #[error("reading consumers' checkpoints: {0}")]
    Intent(#[from] IntentError),
    #[error("opening the checkpoint store: {0}")]
    Lake(#[from] LakeError),
    #[error("retention: {0}")]
    Retention(#[from] RetentionError),
    #[error(transparent)]
    Delta(#[from] DeltaError),
    #[error(
        "{0} consumers' flushes are between their files and their commit: start those \
         consumers once (they settle their flushes on start), stop them, then convert"
    )]
    PendingIntents(usize),
    #[error(
        "an earlier alarmlake's compaction is unfinished (_alarmlake/compaction/intents): run \
         that version's `alarmlake compact` once to finish it, then convert"
    )]
    UnfinishedCompaction,
    #[error(
        "the vacuum window must be at least one hour, not {0} s: files being written are younger"
    )]
    VacuumWindow(i64),
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
    pub plans: Vec<PartitionPlan>,
    pub done: Compacted,
}

/// Compacts the closed partitions of `tables` (or only plans, with `dry_run`): takes the
/// lake's compaction lock, reads each table's latest snapshot, plans, and merges partition by
/// partition, one commit each. `on_done` hears about each partition as it finishes.
pub async fn compact_lake(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
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
    let result = compact_locked(lake, tables, config, lock.as_ref(), &mut run, &mut on_done).await;
    if let Some(lock) = lock {
        // Released even after an error, so the next run can start at once.
        lock.release().await?;
    }
    result.map(|()| run)
}

async fn compact_locked(
    lake: &Lake,
    tables: &[Table],
    config: &CompactionConfig,
    lock: Option<&CompactionLock>,
    run: &mut CompactionRun,
    on_done: &mut impl FnMut(&PartitionPlan, &Compacted),
) -> Result<(), MaintenanceError> {
    let closed = compaction::closed(lake, tables, config, Utc::now()).await?;
    run.plans = compaction::plan(lake, &closed, config).await?;
    let Some(lock) = lock else {
        return Ok(());
    };
    let mut logs: BTreeMap<Table, TableLog> = BTreeMap::new();
    for plan in &run.plans {
        if plan.outputs.is_empty() {
            continue;
        }
        let log = match logs.entry(plan.table) {
            Entry::Occupied(log) => log.into_mut(),
            Entry::Vacant(slot) => match TableLog::open(lake, plan.table).await? {
                Some(log) => slot.insert(log),
                None => continue,
            },
        };
        let done = compaction::compact(lake, log, plan, config).await?;
        run.done += done;
        on_done(plan, &done);
        lock.renew().await?;
    }
    Ok(())
}

/// Removes the partitions of `tables` whose hour ended before `now - keep`: one commit per
/// table. Their files stay for readers of older snapshots until vacuum deletes them. Returns
/// what was (or, with `dry_run`, would be) removed.
pub async fn retain_lake(
    lake: &Lake,
    tables: &[Table],
    keep: Duration,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Vec<ExpiredPartition>, MaintenanceError> {
    let expired = retention::expired(lake, tables, keep, now).await?;
    if !dry_run {
        retention::remove(lake, &expired).await?;
    }
    Ok(expired)
}

/// Vacuum's default window: Delta's (`delta.deletedFileRetentionDuration`).
pub const VACUUM_RETAIN: Duration = Duration::days(7);

/// The shortest window vacuum accepts: files being written (a flush's before its intent is
/// saved, a compaction's output before its commit) are younger than this.
pub const MIN_VACUUM_RETAIN: Duration = Duration::hours(1);

/// What vacuum found and did in one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vacuumed {
    pub table: Option<Table>,
    /// Files deleted (or, in a dry run, that would be), relative to the lake root.
    pub deleted: Vec<String>,
    /// Files vacuum would have deleted but a consumer's pending flush names.
    pub kept_for_intents: usize,
}

/// Deletes the files of `tables` that no snapshot younger than `retention` references, and
/// that are themselves older than it (Delta's VACUUM in full mode: removed files, and files no
/// commit ever referenced, such as an interrupted flush's or compaction's). Files named in a
/// consumer's pending intent are kept whatever their age: its recovery may still commit them.
/// Then the log entries older than the table's log retention are cleaned (after a
/// checkpoint, by Delta's rules).
pub async fn vacuum_lake(
    lake: &Lake,
    tables: &[Table],
    retention: Duration,
    checkpoints: &[CheckpointLocation],
    dry_run: bool,
) -> Result<Vec<Vacuumed>, MaintenanceError> {
    if retention < MIN_VACUUM_RETAIN {
        return Err(MaintenanceError::VacuumWindow(retention.num_seconds()));
    }
    let mut pending = HashSet::new();
    for location in checkpoints {
        pending.extend(pending_intent_files(&location.store, &location.prefix).await?);
    }
    let mut done = Vec::new();
    for &table in tables {
        let Some(mut log) = TableLog::open(lake, table).await? else {
            continue;
        };
        let candidates = log.vacuum_candidates(retention).await?;
        let mut vacuumed = Vacuumed {
            table: Some(table),
            ..Vacuumed::default()
        };
        for path in candidates {
            if pending.contains(&path) {
                vacuumed.kept_for_intents += 1;
            } else {
                vacuumed.deleted.push(path);
            }
        }
        if !dry_run {
            lake.delete(&vacuumed.deleted).await?;
            log.clean_expired_log().await?;
        }
        done.push(vacuumed);
    }
    Ok(done)
}

/// Converts the table folders of `tables` written by an earlier alarmlake into Delta tables
/// (see [`crate::delta::convert_table`]). Refused while a consumer's flush is between files
/// and commit (a Delta intent: its recovery must settle it first), or an earlier alarmlake's
/// compaction is unfinished (its inputs and outputs both exist: registering both would double
/// rows). The files of an earlier alarmlake's pending intents are left out: they were never
/// committed, and that consumer's recovery deletes them and reads their records again.
pub async fn convert_lake(
    lake: &Lake,
    tables: &[Table],
    checkpoints: &[CheckpointLocation],
) -> Result<Vec<(Table, Converted)>, MaintenanceError> {
    let mut uncommitted = HashSet::new();
    let mut in_flight = 0;
    for location in checkpoints {
        for intent in pending_intents(&location.store, &location.prefix).await? {
            match intent.version {
                Some(_) => in_flight += 1,
                None => uncommitted.extend(intent.files),
            }
        }
    }
    if in_flight > 0 {
        return Err(MaintenanceError::PendingIntents(in_flight));
    }
    if !lake.list(OLD_COMPACTION_INTENTS).await?.is_empty() {
        return Err(MaintenanceError::UnfinishedCompaction);
    }
    let mut done = Vec::with_capacity(tables.len());
    for &table in tables {
        done.push((table, convert_table(lake, table, &uncommitted).await?));
    }
    Ok(done)
}

/// Where alarmlake kept its compaction intents before the lake was a set of Delta tables.
const OLD_COMPACTION_INTENTS: &str = "_alarmlake/compaction/intents";

/// The checkpoint locations to respect for a lake: its own `_alarmlake/checkpoints` (every
/// consumer's default), plus an explicit one if consumers were given `--checkpoints`.
pub fn checkpoint_locations(
    lake: &Lake,
    explicit: Option<&str>,
    s3: Option<&S3Settings>,
) -> Result<Vec<CheckpointLocation>, MaintenanceError> {
    let mut locations = vec![CheckpointLocation {
        store: lake.clone(),
        prefix: commit::CHECKPOINTS.to_string(),
    }];
    if let Some(location) = explicit {
        let store = Lake::open(location, s3)?;
        locations.push(CheckpointLocation {
            store,
            prefix: String::new(),
        });
    }
    Ok(locations)
}
