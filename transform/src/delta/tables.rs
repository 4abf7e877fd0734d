//! The lake's table logs as one process holds them: each opened (or created) once, on first
//! use, and shared by every writer in the process, so that a table's snapshot is read once
//! and then only moved forward.
//!
//! Commits of one table are grouped: a writer queues its files and txn, then whoever gets the
//! table's log next commits everything queued in one commit, with every shard's txn, and
//! answers each writer. While one commit is in flight the next group gathers, so many shards
//! flushing at once make few commits (and few log entries for every reader to replay).

use std::collections::BTreeMap;
use std::sync::Arc;

use alarmlake_schemas::Table;
use deltalake_core::kernel::Add;
use tokio::sync::{Mutex, oneshot};

use super::existing::object_size;
use super::rounds::{Member, Rounds};
use super::{DeltaError, ShardTxn, TableLog, add_action, add_for_existing};
use crate::lake::{Lake, LakeError};
use crate::writer::PreparedFile;

/// The commits one publish made: a table and the version its commit produced.
pub type Published = Vec<(Table, u64)>;

/// How [`LakeTables::settle`] ended an interrupted flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Its commit had begun; it is now complete (`committed` tables were committed here).
    RolledForward { committed: usize },
    /// It never became visible and now never will: read its records again.
    Fenced,
}

impl Settled {
    /// The last txn version the shard has used once an intent at `intent_version` is settled
    /// this way: its next flush commits the one after.
    pub fn last_version(self, intent_version: i64) -> i64 {
        match self {
            Settled::RolledForward { .. } => intent_version,
            // The fence took the version after the intent's (see [`LakeTables::settle`]).
            Settled::Fenced => intent_version + 1,
        }
    }
}

/// Every table log of one lake that this process has used.
pub struct LakeTables {
    lake: Lake,
    logs: Mutex<BTreeMap<Table, Slot>>,
    /// Whether the store refuses a second create of one object, asked once per process.
    checked: tokio::sync::OnceCell<()>,
    /// The flush rounds of this process's shards (see [`Rounds`]).
    rounds: Arc<Rounds>,
}

/// A table's log and the commits waiting for it.
#[derive(Clone)]
struct Slot {
    log: Arc<Mutex<TableLog>>,
    queue: Arc<std::sync::Mutex<Vec<Request>>>,
}

impl Slot {
    fn new(log: TableLog) -> Slot {
        Slot {
            log: Arc::new(Mutex::new(log)),
            queue: Arc::default(),
        }
    }
}

/// One writer's part of a grouped commit.
struct Request {
    adds: Vec<Add>,
    txn: Option<ShardTxn>,
    reply: oneshot::Sender<Result<u64, DeltaError>>,
}

/// How long a round's commit of a table waits for members that have not queued their part.
/// A member is late only when its flush is (a slow store, a throttled read): past this, the
/// others commit without it.
const ROUND_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Commits a group retries when another process commits one of its shards first (the others
/// are then committed without it).
const GROUP_ATTEMPTS: usize = 4;

impl std::fmt::Debug for LakeTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeTables")
            .field("lake", &self.lake.location())
            .finish()
    }
}

impl LakeTables {
    pub fn new(lake: Lake) -> LakeTables {
        LakeTables {
            lake,
            logs: Mutex::new(BTreeMap::new()),
            checked: tokio::sync::OnceCell::new(),
            rounds: Arc::new(Rounds::new(ROUND_WAIT)),
        }
    }

    /// Joins the flush round of `tick` (see [`Rounds`]): pass the member to
    /// [`LakeTables::publish_in_round`] when the flush comes at that tick, drop it otherwise.
    pub fn join_round(&self, tick: u128) -> Member {
        self.rounds.join(tick)
    }

    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    /// `table`'s log, created if the lake has none yet (refused for a folder of an earlier
    /// alarmlake's files: see [`DeltaError::Unconverted`]).
    pub async fn log(&self, table: Table) -> Result<Arc<Mutex<TableLog>>, DeltaError> {
        Ok(self.slot(table).await?.log)
    }

    async fn slot(&self, table: Table) -> Result<Slot, DeltaError> {
        self.checked
            .get_or_try_init(|| check_conditional_puts(&self.lake))
            .await?;
        let mut logs = self.logs.lock().await;
        if let Some(slot) = logs.get(&table) {
            return Ok(slot.clone());
        }
        let slot = Slot::new(TableLog::open_or_create(&self.lake, table).await?);
        logs.insert(table, slot.clone());
        Ok(slot)
    }

    /// Refuses a lake with a table folder an earlier alarmlake wrote (files, no log): a writer
    /// could not commit to it, so say so before reading anything.
    ///
    /// The logs it opens are kept, so that the first commits do not read them again.
    pub async fn check_converted(&self) -> Result<(), DeltaError> {
        for table in Table::ALL {
            if self.logs.lock().await.contains_key(&table) {
                continue;
            }
            match TableLog::open(&self.lake, table).await? {
                Some(log) => {
                    self.logs
                        .lock()
                        .await
                        .entry(table)
                        .or_insert(Slot::new(log));
                }
                None if !super::data_files(&self.lake, table, 1).await?.is_empty() => {
                    return Err(DeltaError::Unconverted {
                        table: table.name(),
                    });
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Opens (creating where needed) the logs of the tables `files` belong to. Call it before
    /// writing them: a table is created only while its folder holds no data files, so that an
    /// earlier alarmlake's lake is never hidden behind an empty log.
    pub async fn prepare(&self, files: &[PreparedFile]) -> Result<(), DeltaError> {
        let mut tables: Vec<Table> = files.iter().map(|f| f.table).collect();
        tables.sort_unstable();
        tables.dedup();
        for table in tables {
            self.log(table).await?;
        }
        Ok(())
    }

    /// Makes `files` visible: one commit per table they belong to, in table order, each with
    /// `txn` when given. The files must already be written.
    ///
    /// *Why table order:* a shard's recovery asks the first table of an interrupted flush
    /// whether the flush committed there; committing in a fixed order makes that table the
    /// first one committed (docs/ARCHITECTURE.md, "Exactly-once").
    pub async fn publish(
        &self,
        files: &[PreparedFile],
        txn: Option<&ShardTxn>,
    ) -> Result<Published, DeltaError> {
        self.publish_in_round(files, txn, None).await
    }

    /// [`LakeTables::publish`] for a member of a flush round, when given: each table's commit
    /// waits for the round's other members, so that the round makes one commit per table.
    pub async fn publish_in_round(
        &self,
        files: &[PreparedFile],
        txn: Option<&ShardTxn>,
        mut member: Option<&mut Member>,
    ) -> Result<Published, DeltaError> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut by_table: BTreeMap<Table, Vec<Add>> = BTreeMap::new();
        for file in files {
            by_table
                .entry(file.table)
                .or_default()
                .push(add_action(file, now)?);
        }
        if let Some(member) = member.as_deref_mut() {
            member.declare(by_table.keys().copied().collect());
        }
        let mut published = Vec::with_capacity(by_table.len());
        for (table, adds) in by_table {
            let version = self
                .commit_in(table, adds, txn, member.as_deref_mut())
                .await?;
            published.push((table, version));
        }
        Ok(published)
    }

    /// Commits `adds` to `table`, with `txn`, in a commit grouped with whatever other writers
    /// of this process queued meanwhile. Returns the version that holds them.
    pub async fn commit_adds(
        &self,
        table: Table,
        adds: Vec<Add>,
        txn: Option<&ShardTxn>,
    ) -> Result<u64, DeltaError> {
        self.commit_in(table, adds, txn, None).await
    }

    async fn commit_in(
        &self,
        table: Table,
        adds: Vec<Add>,
        txn: Option<&ShardTxn>,
        member: Option<&mut Member>,
    ) -> Result<u64, DeltaError> {
        let slot = self.slot(table).await?;
        let (reply, mut answer) = oneshot::channel();
        lock(&slot.queue).push(Request {
            adds,
            txn: txn.cloned(),
            reply,
        });
        let tick = member.map(|member| {
            member.queued(table);
            member.tick()
        });
        let mut log = slot.log.lock().await;
        // The previous holder may have committed this request with its group.
        if let Ok(done) = answer.try_recv() {
            return done;
        }
        if let Some(tick) = tick {
            // The rest of the round queues meanwhile; whoever holds the log commits it all.
            self.rounds.ready(tick, table).await;
        }
        let group = std::mem::take(&mut *lock(&slot.queue));
        commit_group(&mut log, group).await;
        drop(log);
        answer.await.unwrap_or_else(|_| {
            Err(DeltaError::Group {
                table: table.name(),
                detail: "the group's commit ended without an answer".into(),
            })
        })
    }

    /// Settles a flush that was interrupted after it recorded its intent (`paths`, the files it
    /// was writing, at `txn.version`), so that its rows become visible exactly once or never:
    ///
    /// - when the first of its tables (in [`LakeTables::publish`]'s order) holds exactly
    ///   `txn.version`, the flush's commit had begun: every other table that does not hold it
    ///   is committed now, from the files' footers ([`Settled::RolledForward`]);
    /// - when it holds a later version, an earlier recovery fenced the flush (and died before
    ///   its checkpoint said so): nothing is committed ([`Settled::Fenced`]);
    /// - otherwise the first table is fenced: a commit holding only the txn at the version
    ///   after (see [`TableLog::fence`]), so the writer of those files, if it still runs, can
    ///   never publish them ([`Settled::Fenced`]); they stay unreferenced until vacuum.
    ///
    /// *Why the fence takes the next version:* were it `txn.version` itself, a second recovery
    /// of the same intent could not tell the fence from the flush's own commit, and would
    /// complete the flush in its other tables while the first table's rows were never
    /// committed: those records lost.
    ///
    /// A fence that loses the race to the writer's own commit rolls forward instead.
    pub async fn settle(&self, paths: &[String], txn: &ShardTxn) -> Result<Settled, DeltaError> {
        let mut by_table: BTreeMap<Table, Vec<&String>> = BTreeMap::new();
        for path in paths {
            let table = path
                .split('/')
                .next()
                .and_then(Table::from_name)
                .ok_or_else(|| LakeError::BadPath(format!("{path} is in no lake table")))?;
            by_table.entry(table).or_default().push(path);
        }
        let Some(&first) = by_table.keys().next() else {
            return Ok(Settled::Fenced);
        };
        for _ in 0..GROUP_ATTEMPTS {
            match self.committed(first, &txn.app_id).await? {
                Some(held) if held == txn.version => return self.roll_forward(by_table, txn).await,
                Some(held) if held > txn.version => return Ok(Settled::Fenced),
                _ => {}
            }
            let log = self.log(first).await?;
            let fenced = log.lock().await.fence(txn).await;
            match fenced {
                Ok(_) => return Ok(Settled::Fenced),
                // The writer's commit, or another recovery's fence, landed first: look again.
                Err(DeltaError::Fenced { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Err(DeltaError::Group {
            table: first.name(),
            detail: format!(
                "{} version {}: kept losing the race to settle it ({GROUP_ATTEMPTS} tries)",
                txn.app_id, txn.version
            ),
        })
    }

    /// Commits an interrupted flush, whose first table holds it, to every other table of it
    /// that does not, from the files' footers.
    async fn roll_forward(
        &self,
        by_table: BTreeMap<Table, Vec<&String>>,
        txn: &ShardTxn,
    ) -> Result<Settled, DeltaError> {
        let mut committed = 0;
        for (table, paths) in by_table {
            if self
                .committed(table, &txn.app_id)
                .await?
                .is_some_and(|v| v >= txn.version)
            {
                continue;
            }
            let mut adds = Vec::with_capacity(paths.len());
            for path in paths {
                let size = object_size(&self.lake, path).await?;
                adds.push(add_for_existing(&self.lake, table, path, size).await?);
            }
            let log = self.log(table).await?;
            match log.lock().await.append_adds(adds, Some(txn)).await {
                Ok(_) => committed += 1,
                // Its writer, or another recovery, committed it first.
                Err(DeltaError::Fenced { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Settled::RolledForward { committed })
    }

    /// The latest version of `app_id` committed to `table`.
    pub async fn committed(&self, table: Table, app_id: &str) -> Result<Option<i64>, DeltaError> {
        let log = self.log(table).await?;
        let mut log = log.lock().await;
        log.refresh().await?;
        log.committed(app_id).await
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Commits `group` in one commit and answers each request: the version, or why not. A request
/// whose shard the table already holds at its version is answered [`DeltaError::Fenced`] and
/// left out; the rest are committed without it.
async fn commit_group(log: &mut TableLog, mut group: Vec<Request>) {
    let table = log.table().name();
    for _ in 0..GROUP_ATTEMPTS {
        if let Err(e) = log.refresh().await {
            return fail(group, table, &e);
        }
        let mut kept = Vec::with_capacity(group.len());
        for request in group {
            let held = match &request.txn {
                Some(txn) => match log.committed(&txn.app_id).await {
                    Ok(held) => held.filter(|v| *v >= txn.version),
                    Err(e) => {
                        let _ = request.reply.send(Err(e));
                        continue;
                    }
                },
                None => None,
            };
            match (held, &request.txn) {
                (Some(committed), Some(txn)) => {
                    let _ = request.reply.send(Err(DeltaError::Fenced {
                        table,
                        app_id: txn.app_id.clone(),
                        version: txn.version,
                        committed: Some(committed),
                    }));
                }
                _ => kept.push(request),
            }
        }
        group = kept;
        if group.is_empty() {
            return;
        }
        let adds: Vec<Add> = group.iter().flat_map(|r| r.adds.iter().cloned()).collect();
        let txns: Vec<ShardTxn> = group.iter().filter_map(|r| r.txn.clone()).collect();
        match log.append_checked(adds, txns).await {
            Ok(version) => {
                for request in group {
                    let _ = request.reply.send(Ok(version));
                }
                return;
            }
            // Another process committed one of these shards meanwhile: sort again.
            Err(DeltaError::Fenced { .. }) => continue,
            Err(e) => return fail(group, table, &e),
        }
    }
    let e = DeltaError::Group {
        table,
        detail: format!("other writers kept committing the same shards ({GROUP_ATTEMPTS} tries)"),
    };
    fail(group, table, &e);
}

/// Answers every request of a group whose commit failed.
fn fail(group: Vec<Request>, table: &'static str, error: &DeltaError) {
    for request in group {
        let _ = request.reply.send(Err(DeltaError::Group {
            table,
            detail: error.to_string(),
        }));
    }
}

/// Refuses a store that does not refuse a second create of one object: Delta commits (and
/// alarmlake's checkpoints) are conditional puts, and a store that ignores the condition would
/// let two writers both commit one version, one of them silently lost.
async fn check_conditional_puts(lake: &Lake) -> Result<(), DeltaError> {
    let name = format!(
        "conditional-put-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let probe = crate::probe::probe(lake, crate::commit::PROBES, &name).await?;
    if probe.conditional_writes {
        Ok(())
    } else {
        Err(DeltaError::NoConditionalPuts {
            location: lake.location().to_string(),
        })
    }
}
