//! One lake table's Delta log: open or create it, read its snapshot, and commit a flush's files.
//!
//! alarmlake writes the Parquet files itself (its own encoder: sorting, dictionaries, the
//! statistics in [`super::stats`]) and uses `deltalake-core` for the log only: the snapshot,
//! the commit with its conflict check and retries, and the Parquet checkpoints of the log.

use std::sync::Arc;

use alarmlake_schemas::Table;
use chrono::Utc;
use deltalake_core::kernel::transaction::{
    CommitBuilder, CommitConflictError, CommitProperties, TransactionError,
};
use deltalake_core::kernel::{Action, Add, MetadataExt, StructType, Transaction};
use deltalake_core::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake_core::operations::create::CreateBuilder;
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::{DeltaTable, DeltaTableError};
use object_store::ObjectStore;
use object_store::path::Path;
use object_store::prefix::PrefixStore;

use super::schema::{PARTITION_COLUMNS, SchemaFit, delta_schema, fit, table_properties};
use super::{DeltaError, ShardTxn};
use crate::lake::{Lake, LakeError};
use crate::writer::PreparedFile;

/// A lake table's log and the snapshot this process last read or committed.
pub struct TableLog {
    table: Table,
    delta: DeltaTable,
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
        // a log first.
        let log = lake.path(&format!("{}/_delta_log", table.name()))?;
        let listed = lake
            .store()
            .list_with_delimiter(Some(&log))
            .await
            .map_err(LakeError::from)?;
        if listed.objects.is_empty() {
            return Ok(None);
        }
        let mut delta = DeltaTable::new(log_store(lake, table)?);
        match delta.load().await {
            Ok(()) => {}
            Err(DeltaTableError::NotATable(_)) => return Ok(None),
            Err(source) => return Err(DeltaError::delta(table, source)),
        }
        let mut log = TableLog { table, delta };
        log.check_schema().await?;
        Ok(Some(log))
    }

    /// Opens `table`'s log, creating the table (version 0: protocol and metadata) if the folder
    /// has none. Two processes creating it at once both end up with the one that won.
    pub async fn open_or_create(lake: &Lake, table: Table) -> Result<TableLog, DeltaError> {
        if let Some(log) = TableLog::open(lake, table).await? {
            return Ok(log);
        }
        let schema = delta_schema(table)?;
        let created = CreateBuilder::new()
            .with_log_store(log_store(lake, table)?)
            .with_table_name(table.name())
            .with_columns(schema.fields().cloned())
            .with_partition_columns(PARTITION_COLUMNS)
            .with_configuration(table_properties().into_iter().map(|(k, v)| (k, Some(v))))
            .with_save_mode(SaveMode::Ignore)
            .await;
        match created {
            Ok(delta) => Ok(TableLog { table, delta }),
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
    pub async fn committed(&self, app_id: &str) -> Result<Option<i64>, DeltaError> {
        let state = self
            .delta
            .snapshot()
            .map_err(|e| DeltaError::delta(self.table, e))?;
        state
            .transaction_version(self.delta.log_store().as_ref(), app_id)
            .await
            .map_err(|e| DeltaError::delta(self.table, e))
    }

    /// Commits `files` (all of this table) in one Delta commit, with `txn` when a source with a
    /// position writes (a Kinesis shard).
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
        self.refresh().await?;
        if let Some(txn) = txn
            && let Some(committed) = self.committed(&txn.app_id).await?
            && committed >= txn.version
        {
            return Err(DeltaError::Fenced {
                table: self.table.name(),
                app_id: txn.app_id.clone(),
                version: txn.version,
                committed: Some(committed),
            });
        }
        let now = Utc::now().timestamp_millis();
        let actions = files
            .iter()
            .map(|file| add_action(file, now).map(Action::Add))
            .collect::<Result<Vec<_>, _>>()?;
        let mut properties = CommitProperties::default().with_cleanup_expired_logs(Some(false));
        if let Some(txn) = txn {
            properties = properties.with_application_transaction(
                Transaction::new_with_last_update(&txn.app_id, txn.version, Some(now)),
            );
        }
        let operation = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: Some(PARTITION_COLUMNS.iter().map(|c| c.to_string()).collect()),
            predicate: None,
        };
        self.commit(properties, actions, operation, txn).await
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

/// The Add action of a file this process wrote: its path relative to the table (a URI path, so
/// the `%` of escaped names is itself escaped), partition values, size and statistics.
pub fn add_action(file: &PreparedFile, now_ms: i64) -> Result<Add, DeltaError> {
    let table_prefix = format!("{}/", file.table.name());
    let relative = file
        .path
        .strip_prefix(&table_prefix)
        .ok_or_else(|| LakeError::BadPath(format!("{} is not in {table_prefix}", file.path)))?;
    Ok(Add {
        path: relative.replace('%', "%25"),
        partition_values: [
            (
                PARTITION_COLUMNS[0].to_string(),
                Some(file.partition.date.format("%Y-%m-%d").to_string()),
            ),
            (
                PARTITION_COLUMNS[1].to_string(),
                Some(file.partition.hour.to_string()),
            ),
        ]
        .into_iter()
        .collect(),
        size: file.bytes.len() as i64,
        modification_time: now_ms,
        data_change: true,
        stats: Some(file.stats.clone()),
        tags: None,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
        clustering_provider: None,
    })
}
