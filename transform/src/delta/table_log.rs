//! One lake table's Delta log: open or create it, read its snapshot, and commit a flush's files.
//!
//! alarmlake writes the Parquet files itself (its own encoder: sorting, dictionaries, the
//! statistics in [`super::stats`]) and uses `deltalake-core` for the log only: the snapshot,
//! the commit with its conflict check and retries, and the Parquet checkpoints of the log.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use alarmlake_schemas::Table;
use chrono::Utc;
use deltalake_core::kernel::transaction::{
    CommitBuilder, CommitConflictError, CommitProperties, TransactionError,
};
use deltalake_core::kernel::{Action, Add, MetadataExt, Remove, StructType, Transaction};
use deltalake_core::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake_core::operations::create::CreateBuilder;
use deltalake_core::operations::vacuum::VacuumMode;
use deltalake_core::protocol::checkpoints::cleanup_metadata;
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::{DeltaTable, DeltaTableError};
use futures::StreamExt;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};

use super::schema::{PARTITION_COLUMNS, SchemaFit, delta_schema, fit, table_properties};
use super::{DeltaError, ShardTxn};
use crate::lake::{Lake, LakeError};
use crate::partition::PartitionKey;
use crate::writer::PreparedFile;

/// A file a snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFile {
    /// Relative to the lake root, as the object is named (`<table>/date=…/hour=…/name`).
    pub path: String,
    /// The hour its folder names; `None` for a file outside the Hive folders.
    pub partition: Option<PartitionKey>,
    pub size: u64,
    /// When it was added, in milliseconds since the epoch.
    pub modified_ms: i64,
}

/// A lake table's log and the snapshot this process last read or committed.
pub struct TableLog {
    table: Table,
    delta: DeltaTable,
    txns: TxnCache,
}

/// The txn versions this process has looked up, kept current by reading only the commits made
/// since.
///
/// *Why:* the kernel answers a txn lookup by replaying the log from its last checkpoint (up to
/// 99 commit files), and every shard flush asks once per table; reading only the one or two
/// new commit files bounds that work by the commits since the last lookup. (Measured on
/// benchmark P3 it did not lower the consumer's CPU per record measurably: see
/// `benches/HISTORY.md`, "Issue 28".)
#[derive(Debug, Default)]
struct TxnCache {
    /// The version the cache reflects; `None` before the first lookup.
    at: Option<u64>,
    /// Apps looked up (or seen in a commit since), with their latest version.
    versions: HashMap<String, Option<i64>>,
}

impl std::fmt::Debug for TableLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableLog")
            .field("table", &self.table.name())
            .field("version", &self.delta.version())
            .finish()
    }
}

impl TableLog {
    /// Opens `table`'s log at its latest version; `None` when the folder holds no Delta table.
    /// A table whose schema is not this table's is an error, so nothing is written into it.
    pub async fn open(lake: &Lake, table: Table) -> Result<Option<TableLog>, DeltaError> {
        // The kernel reports a missing folder as a location error, not as "no table": look for
        // a log first. One entry answers it; the whole listing of a long log (100,000 commit
        // files before log cleanup) cost a tenth of a second on a local disk, and more pages
        // on S3.
        let log = lake.path(&format!("{}/_delta_log", table.name()))?;
        let first = lake.store().list(Some(&log)).next().await;
        match first {
            None => return Ok(None),
            Some(Err(e)) => return Err(LakeError::from(e).into()),
            Some(Ok(_)) => {}
        }
        let mut delta = DeltaTable::new(log_store(lake, table)?);
        match delta.load().await {
            Ok(()) => {}
            Err(DeltaTableError::NotATable(_)) => return Ok(None),
            Err(source) => return Err(DeltaError::delta(table, source)),
        }
        let mut log = TableLog {
            table,
            delta,
            txns: TxnCache::default(),
        };
        log.check_schema().await?;
        Ok(Some(log))
    }

    /// Opens `table`'s log, creating the table (version 0: protocol and metadata) if the folder
    /// has none. Two processes creating it at once both end up with the one that won.
    pub async fn open_or_create(lake: &Lake, table: Table) -> Result<TableLog, DeltaError> {
        if let Some(log) = TableLog::open(lake, table).await? {
            return Ok(log);
        }
        if !super::data_files(lake, table, 1).await?.is_empty() {
            return Err(DeltaError::Unconverted {
                table: table.name(),
            });
        }
        TableLog::create(lake, table, Vec::new()).await
    }

    /// Creates `table`'s log, with `adds` in its first commit (a converted lake's files: all
    /// registered at once, or none). Two processes creating it at once both end up with the one
    /// that won.
    pub(crate) async fn create(
        lake: &Lake,
        table: Table,
        adds: Vec<Add>,
    ) -> Result<TableLog, DeltaError> {
        let schema = delta_schema(table)?;
        let created = CreateBuilder::new()
            .with_log_store(log_store(lake, table)?)
            .with_table_name(table.name())
            .with_columns(schema.fields().cloned())
            .with_partition_columns(PARTITION_COLUMNS)
            .with_configuration(table_properties().into_iter().map(|(k, v)| (k, Some(v))))
            .with_actions(adds.into_iter().map(Action::Add))
            .with_save_mode(SaveMode::Ignore)
            .await;
        match created {
            Ok(delta) => Ok(TableLog {
                table,
                delta,
                txns: TxnCache::default(),
            }),
            // Lost the race for version 0: the winner's table is the table.
            Err(_) => TableLog::open(lake, table)
                .await?
                .ok_or_else(|| DeltaError::Schema {
                    table: table.name(),
                    detail: "the table could not be created".into(),
                }),
        }
    }

    pub fn table(&self) -> Table {
        self.table
    }

    /// The version of the snapshot this process holds.
    pub fn version(&self) -> Option<u64> {
        self.delta.version()
    }

    /// The underlying table, for reading its snapshot (files, history).
    pub fn delta(&self) -> &DeltaTable {
        &self.delta
    }

    /// Reads the commits made since this process's snapshot.
    pub async fn refresh(&mut self) -> Result<(), DeltaError> {
        self.delta
            .update_state()
            .await
            .map_err(|e| DeltaError::delta(self.table, e))
    }

    /// The highest version of `app_id` the held snapshot has committed.
    pub async fn committed(&mut self, app_id: &str) -> Result<Option<i64>, DeltaError> {
        self.catch_up_txns().await?;
        if let Some(known) = self.txns.versions.get(app_id) {
            return Ok(*known);
        }
        let state = self
            .delta
            .snapshot()
            .map_err(|e| DeltaError::delta(self.table, e))?;
        let version = state
            .transaction_version(self.delta.log_store().as_ref(), app_id)
            .await
            .map_err(|e| DeltaError::delta(self.table, e))?;
        self.txns.versions.insert(app_id.to_string(), version);
        Ok(version)
    }

    /// Brings the txn cache to the held snapshot's version by reading the commits in between;
    /// starts it afresh when one of them cannot be read.
    async fn catch_up_txns(&mut self) -> Result<(), DeltaError> {
        let Some(current) = self.version() else {
            return Ok(());
        };
        let Some(at) = self.txns.at else {
            self.txns.at = Some(current);
            return Ok(());
        };
        let store = self.delta.log_store().object_store(None);
        for version in at + 1..=current {
            let path = Path::from(format!("_delta_log/{version:020}.json"));
            let read = match store.get(&path).await {
                Ok(found) => found.bytes().await.ok(),
                Err(_) => None,
            };
            let Some(bytes) = read else {
                self.txns = TxnCache {
                    at: Some(current),
                    versions: HashMap::new(),
                };
                return Ok(());
            };
            for line in bytes.split(|&b| b == b'\n') {
                let Ok(action) = serde_json::from_slice::<serde_json::Value>(line) else {
                    continue;
                };
                let txn = &action["txn"];
                if let (Some(app), Some(v)) = (txn["appId"].as_str(), txn["version"].as_i64()) {
                    let known = self.txns.versions.entry(app.to_string()).or_insert(None);
                    *known = Some(known.map_or(v, |k| k.max(v)));
                }
            }
        }
        self.txns.at = Some(current);
        Ok(())
    }

    /// Commits `files` (all of this table) in one Delta commit, with `txn` when a source with a
    /// position writes (a Kinesis shard). (A recovery fences a flush with [`TableLog::fence`].)
    ///
    /// With `txn`, the commit is refused ([`DeltaError::Fenced`]) when the latest snapshot, or
    /// any commit that lands between that snapshot and this one, already holds the same app at
    /// `txn.version` or later: the flush's rows are then never visible twice, and a worker that
    /// lost its shard cannot make its files visible. Appends of other apps never conflict;
    /// the commit retries past them.
    pub async fn append(
        &mut self,
        files: &[&PreparedFile],
        txn: Option<&ShardTxn>,
    ) -> Result<u64, DeltaError> {
        let now = Utc::now().timestamp_millis();
        let adds = files
            .iter()
            .map(|file| add_action(file, now))
            .collect::<Result<Vec<_>, _>>()?;
        self.append_adds(adds, txn).await
    }

    /// [`TableLog::append`] for Add actions built elsewhere (files found in the lake: recovery's
    /// roll-forward, `lake convert`).
    pub async fn append_adds(
        &mut self,
        adds: Vec<Add>,
        txn: Option<&ShardTxn>,
    ) -> Result<u64, DeltaError> {
        self.append_many(adds, txn.into_iter().cloned().collect())
            .await
    }

    /// One commit of `adds` carrying every txn of `txns` (the flushes of several shards,
    /// grouped), refused as a whole when the table already holds any of them at its version or
    /// later ([`DeltaError::Fenced`], naming the first).
    pub async fn append_many(
        &mut self,
        adds: Vec<Add>,
        txns: Vec<ShardTxn>,
    ) -> Result<u64, DeltaError> {
        self.refresh().await?;
        self.append_checked(adds, txns).await
    }

    /// [`TableLog::append_many`] on the snapshot already held (the caller has just refreshed
    /// it); the conflict check still refuses a commit of the same apps that lands meanwhile.
    pub(crate) async fn append_checked(
        &mut self,
        adds: Vec<Add>,
        txns: Vec<ShardTxn>,
    ) -> Result<u64, DeltaError> {
        for txn in &txns {
            self.refuse_if_held(txn).await?;
        }
        let now = Utc::now().timestamp_millis();
        let actions = adds.into_iter().map(Action::Add).collect();
        let properties = CommitProperties::default()
            .with_cleanup_expired_logs(Some(false))
            .with_application_transactions(
                txns.iter()
                    .map(|t| Transaction::new_with_last_update(&t.app_id, t.version, Some(now)))
                    .collect(),
            );
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: Some(PARTITION_COLUMNS.iter().map(|c| c.to_string()).collect()),
            predicate: None,
        };
        self.commit(properties, actions, operation, txns.first())
            .await
    }

    /// Fences a shard's interrupted flush at `txn.version`: a commit holding only the shard's
    /// txn at the version after, so that the flush's own commit (at `txn.version`) is refused
    /// from then on, and a later recovery can tell the fence from that commit. Refused
    /// ([`DeltaError::Fenced`]) when the table already holds `txn.version` or later, or when a
    /// commit of the same shard lands between the read and this commit.
    pub async fn fence(&mut self, txn: &ShardTxn) -> Result<u64, DeltaError> {
        self.refresh().await?;
        self.refuse_if_held(txn).await?;
        let fence = ShardTxn {
            app_id: txn.app_id.clone(),
            version: txn.version + 1,
        };
        self.append_checked(Vec::new(), vec![fence]).await
    }

    /// [`DeltaError::Fenced`] when the held snapshot already holds `txn`'s app at its version
    /// or later.
    async fn refuse_if_held(&mut self, txn: &ShardTxn) -> Result<(), DeltaError> {
        match self.committed(&txn.app_id).await? {
            Some(committed) if committed >= txn.version => Err(DeltaError::Fenced {
                table: self.table.name(),
                app_id: txn.app_id.clone(),
                version: txn.version,
                committed: Some(committed),
            }),
            _ => Ok(()),
        }
    }

    /// The files of the held snapshot.
    pub fn files(&self) -> Result<Vec<LiveFile>, DeltaError> {
        let state = self
            .delta
            .snapshot()
            .map_err(|e| DeltaError::delta(self.table, e))?;
        let table = self.table.name();
        Ok(state
            .log_data()
            .iter()
            .map(|file| {
                let relative = file.path().into_owned();
                LiveFile {
                    partition: PartitionKey::from_relative(&relative),
                    path: format!("{table}/{relative}"),
                    size: file.size().max(0) as u64,
                    modified_ms: file.modification_time(),
                }
            })
            .collect())
    }

    /// Replaces `removed` by `added` without changing the table's rows (compaction): both sides
    /// carry dataChange=false, so streaming readers of the log skip the commit. Refused when a
    /// removed file is no longer in the latest snapshot (someone else compacted or expired it).
    pub async fn replace(
        &mut self,
        removed: &[LiveFile],
        added: &[&PreparedFile],
        target_size: u64,
    ) -> Result<u64, DeltaError> {
        self.refresh().await?;
        self.require_live(removed)?;
        let now = Utc::now().timestamp_millis();
        let mut actions = Vec::with_capacity(removed.len() + added.len());
        for file in removed {
            actions.push(Action::Remove(remove_action(self.table, file, now, false)?));
        }
        for file in added {
            let mut add = add_action(file, now)?;
            add.data_change = false;
            actions.push(Action::Add(add));
        }
        let operation = DeltaOperation::Optimize {
            predicate: None,
            target_size: target_size as i64,
        };
        let properties = CommitProperties::default().with_cleanup_expired_logs(Some(false));
        self.commit(properties, actions, operation, None).await
    }

    /// Removes `removed` from the table (retention): their rows stop being visible in one
    /// commit; the files stay until vacuum, for readers of older snapshots.
    pub async fn remove(&mut self, removed: &[LiveFile]) -> Result<u64, DeltaError> {
        self.refresh().await?;
        self.require_live(removed)?;
        let now = Utc::now().timestamp_millis();
        let actions = removed
            .iter()
            .map(|file| remove_action(self.table, file, now, true).map(Action::Remove))
            .collect::<Result<Vec<_>, _>>()?;
        let operation = DeltaOperation::Delete { predicate: None };
        let properties = CommitProperties::default().with_cleanup_expired_logs(Some(false));
        self.commit(properties, actions, operation, None).await
    }

    /// The files vacuum may delete (relative to the lake root): those no snapshot of the last
    /// `retention` references and that are older than it, including files no commit ever
    /// referenced (Delta's VACUUM in full mode, as a dry run: the caller deletes).
    pub async fn vacuum_candidates(
        &mut self,
        retention: chrono::Duration,
    ) -> Result<Vec<String>, DeltaError> {
        self.refresh().await?;
        let table = self.table;
        let (_, metrics) = self
            .delta
            .clone()
            .vacuum()
            .with_mode(VacuumMode::Full)
            .with_retention_period(retention)
            .with_enforce_retention_duration(false)
            .with_dry_run(true)
            .await
            .map_err(|e| DeltaError::delta(table, e))?;
        Ok(metrics
            .files_deleted
            .into_iter()
            .map(|path| format!("{}/{path}", table.name()))
            .collect())
    }

    /// Deletes the log entries older than the table's log retention (30 days by default) that
    /// a checkpoint makes unnecessary, by Delta's rules.
    pub async fn clean_expired_log(&mut self) -> Result<usize, DeltaError> {
        self.refresh().await?;
        cleanup_metadata(&self.delta, None)
            .await
            .map_err(|e| DeltaError::delta(self.table, e))
    }

    /// The last `limit` commits, newest first, one line each: version, time, operation, files
    /// added and removed, and the txns it carries. Read from the commit files themselves, so
    /// the versions are exact; entries vacuum's log cleaning removed end the list.
    pub async fn history(&mut self, limit: usize) -> Result<Vec<String>, DeltaError> {
        self.refresh().await?;
        let Some(latest) = self.version() else {
            return Ok(Vec::new());
        };
        let store = self.delta.log_store().object_store(None);
        let mut lines = Vec::new();
        for version in (0..=latest).rev().take(limit) {
            let path = Path::from(format!("_delta_log/{version:020}.json"));
            let bytes = match store.get(&path).await {
                Ok(found) => found.bytes().await.map_err(LakeError::from)?,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(LakeError::from(e).into()),
            };
            lines.push(format!("v{version}  {}", describe_commit(&bytes)));
        }
        Ok(lines)
    }

    /// Refuses a change to files the latest snapshot no longer holds.
    fn require_live(&self, files: &[LiveFile]) -> Result<(), DeltaError> {
        let live: HashSet<String> = self.files()?.into_iter().map(|f| f.path).collect();
        match files.iter().find(|f| !live.contains(&f.path)) {
            None => Ok(()),
            Some(gone) => Err(DeltaError::Gone {
                table: self.table.name(),
                path: gone.path.clone(),
            }),
        }
    }

    /// Makes one commit from the held snapshot, and holds the snapshot it produced.
    async fn commit(
        &mut self,
        properties: CommitProperties,
        actions: Vec<Action>,
        operation: DeltaOperation,
        txn: Option<&ShardTxn>,
    ) -> Result<u64, DeltaError> {
        let table = self.table;
        let state = self
            .delta
            .snapshot()
            .map_err(|e| DeltaError::delta(table, e))?;
        let properties = properties
            .with_metadata([("operationMetrics".to_string(), operation_metrics(&actions))]);
        let committed = CommitBuilder::from(properties)
            .with_actions(actions)
            .build(Some(state), self.delta.log_store(), operation)
            .await;
        match committed {
            Ok(finalized) => {
                let version = finalized.version();
                self.delta.state = Some(finalized.snapshot());
                Ok(version)
            }
            Err(DeltaTableError::Transaction {
                source: TransactionError::CommitConflict(CommitConflictError::ConcurrentTransaction),
            }) if txn.is_some() => Err(DeltaError::Fenced {
                table: table.name(),
                app_id: txn.map(|t| t.app_id.clone()).unwrap_or_default(),
                version: txn.map_or(0, |t| t.version),
                committed: None,
            }),
            Err(source) => Err(DeltaError::delta(table, source)),
        }
    }

    /// Refuses a table whose schema is not this table's, and adds the columns a newer alarmlake
    /// writes to an older table's schema (a metadata update: older files read them as nulls).
    async fn check_schema(&mut self) -> Result<(), DeltaError> {
        let table = self.table;
        let expected = delta_schema(table)?;
        let state = self
            .delta
            .snapshot()
            .map_err(|e| DeltaError::delta(table, e))?;
        let existing: StructType = state.schema().as_ref().clone();
        match fit(&existing, &expected) {
            SchemaFit::Same => Ok(()),
            SchemaFit::Differs(detail) => Err(DeltaError::SchemaMismatch {
                table: table.name(),
                detail,
            }),
            SchemaFit::Grows(added) => {
                let metadata = state
                    .metadata()
                    .clone()
                    .with_schema(&expected)
                    .map_err(|e| DeltaError::delta(table, e.into()))?;
                let fields = expected
                    .fields()
                    .filter(|f| added.contains(f.name()))
                    .cloned()
                    .collect();
                self.commit(
                    CommitProperties::default().with_cleanup_expired_logs(Some(false)),
                    vec![Action::Metadata(metadata)],
                    DeltaOperation::AddColumn { fields },
                    None,
                )
                .await?;
                Ok(())
            }
        }
    }
}

/// The commit's `operationMetrics`, as Spark writes them for its own commits (files and rows
/// added, bytes added, files removed): `DESCRIBE HISTORY` in Spark and Databricks, `\history`
/// in alarmlake's shell and `alarmlake lake history` show them without reading any file.
fn operation_metrics(actions: &[Action]) -> serde_json::Value {
    let (mut files, mut rows, mut bytes, mut removed) = (0i64, 0i64, 0i64, 0i64);
    for action in actions {
        match action {
            Action::Add(add) => {
                files += 1;
                bytes += add.size;
                rows += add
                    .stats
                    .as_deref()
                    .and_then(|stats| serde_json::from_str::<serde_json::Value>(stats).ok())
                    .and_then(|stats| stats["numRecords"].as_i64())
                    .unwrap_or(0);
            }
            Action::Remove(_) => removed += 1,
            _ => {}
        }
    }
    // Delta writes operation metrics as strings.
    serde_json::json!({
        "numAddedFiles": files.to_string(),
        "numOutputRows": rows.to_string(),
        "numOutputBytes": bytes.to_string(),
        "numRemovedFiles": removed.to_string(),
    })
}

/// One commit file, summarised: its time, operation, files added and removed, and txns.
fn describe_commit(bytes: &[u8]) -> String {
    let (mut added, mut removed, mut rows) = (0, 0, None);
    let (mut time, mut operation, mut txns) = (String::new(), String::from("?"), Vec::new());
    for line in bytes.split(|&b| b == b'\n') {
        let Ok(action) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if action.get("add").is_some() {
            added += 1;
        } else if action.get("remove").is_some() {
            removed += 1;
        } else if let Some(txn) = action.get("txn") {
            let app = txn.get("appId").and_then(|v| v.as_str()).unwrap_or("?");
            let version = txn.get("version").and_then(|v| v.as_i64()).unwrap_or(-1);
            txns.push(format!("{app}@{version}"));
        } else if let Some(info) = action.get("commitInfo") {
            if let Some(op) = info.get("operation").and_then(|v| v.as_str()) {
                operation = op.to_string();
            }
            rows = info["operationMetrics"]["numOutputRows"]
                .as_str()
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(at) = info
                .get("timestamp")
                .and_then(|v| v.as_i64())
                .and_then(chrono::DateTime::from_timestamp_millis)
            {
                time = at.format("%Y-%m-%d %H:%M:%SZ").to_string();
            }
        }
    }
    let mut line = format!("{time}  {operation}  +{added} -{removed} files");
    if let Some(rows) = rows {
        line.push_str(&format!("  +{rows} rows"));
    }
    if !txns.is_empty() {
        line.push_str(&format!("  txn {}", txns.join(", ")));
    }
    line
}

/// The log store of `table`: the table's folder URL over the lake's URL-rooted store.
fn log_store(lake: &Lake, table: Table) -> Result<LogStoreRef, DeltaError> {
    let url = lake.url_of(table.name())?;
    let root = lake.url_store().clone();
    let prefix = Path::from_url_path(url.path()).map_err(|e| LakeError::BadPath(e.to_string()))?;
    let prefixed: Arc<dyn ObjectStore> = Arc::new(PrefixStore::new(root.clone(), prefix));
    Ok(default_logstore(
        prefixed,
        root,
        &url,
        &StorageConfig::default(),
    ))
}

/// The Add action of a file this process wrote.
pub fn add_action(file: &PreparedFile, now_ms: i64) -> Result<Add, DeltaError> {
    add_for(
        file.table,
        &file.path,
        file.partition,
        file.bytes.len() as u64,
        &file.stats,
        now_ms,
    )
}

/// The Add action of a file at `path` (relative to the lake root) in `table`: its path relative
/// to the table (the log's serializer escapes it as a URI), partition values, size and
/// statistics.
pub fn add_for(
    table: Table,
    path: &str,
    partition: PartitionKey,
    size: u64,
    stats: &str,
    now_ms: i64,
) -> Result<Add, DeltaError> {
    Ok(Add {
        path: table_relative(table, path)?.to_string(),
        partition_values: partition_values(partition),
        size: size as i64,
        modification_time: now_ms,
        data_change: true,
        stats: Some(stats.to_string()),
        tags: None,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
        clustering_provider: None,
    })
}

fn remove_action(
    table: Table,
    file: &LiveFile,
    now_ms: i64,
    data_change: bool,
) -> Result<Remove, DeltaError> {
    Ok(Remove {
        path: table_relative(table, &file.path)?.to_string(),
        data_change,
        deletion_timestamp: Some(now_ms),
        extended_file_metadata: Some(true),
        partition_values: file.partition.map(partition_values),
        size: Some(file.size as i64),
        tags: None,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
    })
}

/// `path` (relative to the lake root) relative to `table`'s folder.
fn table_relative(table: Table, path: &str) -> Result<&str, DeltaError> {
    path.strip_prefix(table.name())
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(|| {
            DeltaError::Lake(LakeError::BadPath(format!(
                "{path} is not in {}/",
                table.name()
            )))
        })
}

/// The log's partition values of an hour: `date` as YYYY-MM-DD and `hour` as a number.
fn partition_values(partition: PartitionKey) -> HashMap<String, Option<String>> {
    [
        (
            PARTITION_COLUMNS[0].to_string(),
            Some(partition.date.format("%Y-%m-%d").to_string()),
        ),
        (
            PARTITION_COLUMNS[1].to_string(),
            Some(partition.hour.to_string()),
        ),
    ]
    .into_iter()
    .collect()
}
