//! The lake's table logs as one process holds them: each opened (or created) once, on first
//! use, and shared by every writer in the process, so that a table's snapshot is read once
//! and then only moved forward.

use std::collections::BTreeMap;
use std::sync::Arc;

use alarmlake_schemas::Table;
use deltalake_core::kernel::Add;
use tokio::sync::Mutex;

use super::existing::object_size;
use super::{DeltaError, ShardTxn, TableLog, add_for_existing};
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

/// Every table log of one lake that this process has used.
pub struct LakeTables {
    lake: Lake,
    logs: Mutex<BTreeMap<Table, Arc<Mutex<TableLog>>>>,
}

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
        }
    }

    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    /// `table`'s log, created if the lake has none yet (refused for a folder of an earlier
    /// alarmlake's files: see [`DeltaError::Unconverted`]).
    pub async fn log(&self, table: Table) -> Result<Arc<Mutex<TableLog>>, DeltaError> {
        let mut logs = self.logs.lock().await;
        if let Some(log) = logs.get(&table) {
            return Ok(log.clone());
        }
        let log = Arc::new(Mutex::new(
            TableLog::open_or_create(&self.lake, table).await?,
        ));
        logs.insert(table, log.clone());
        Ok(log)
    }

    /// Refuses a lake with a table folder an earlier alarmlake wrote (files, no log): a writer
    /// could not commit to it, so say so before reading anything.
    pub async fn check_converted(&self) -> Result<(), DeltaError> {
        for table in Table::ALL {
            if TableLog::open(&self.lake, table).await?.is_none()
                && !super::data_files(&self.lake, table, 1).await?.is_empty()
            {
                return Err(DeltaError::Unconverted {
                    table: table.name(),
                });
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
        let mut by_table: BTreeMap<Table, Vec<&PreparedFile>> = BTreeMap::new();
        for file in files {
            by_table.entry(file.table).or_default().push(file);
        }
        let mut published = Vec::with_capacity(by_table.len());
        for (table, files) in by_table {
            let log = self.log(table).await?;
            let version = log.lock().await.append(&files, txn).await?;
            published.push((table, version));
        }
        Ok(published)
    }

    /// Commits `adds` to `table` in one commit.
    pub async fn commit_adds(
        &self,
        table: Table,
        adds: Vec<Add>,
        txn: Option<&ShardTxn>,
    ) -> Result<u64, DeltaError> {
        let log = self.log(table).await?;
        let version = log.lock().await.append_adds(adds, txn).await?;
        Ok(version)
    }

    /// Settles a flush that was interrupted after it recorded its intent (`paths`, the files it
    /// was writing, at `txn.version`), so that its rows become visible exactly once or never:
    ///
    /// - when the first of its tables (in [`LakeTables::publish`]'s order) has committed the
    ///   version, the flush's commit had begun: every other table that has not is committed
    ///   now, from the files' footers ([`Settled::RolledForward`]);
    /// - otherwise the first table is fenced with a commit holding only the txn, so the writer
    ///   of those files, if it still runs, can never publish them ([`Settled::Fenced`]); they
    ///   stay unreferenced until vacuum.
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
        let begun = self
            .committed(first, &txn.app_id)
            .await?
            .is_some_and(|v| v >= txn.version);
        if !begun {
            let log = self.log(first).await?;
            let fenced = log.lock().await.append(&[], Some(txn)).await;
            match fenced {
                Ok(_) => return Ok(Settled::Fenced),
                Err(DeltaError::Fenced { .. }) => {}
                Err(e) => return Err(e),
            }
        }
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
