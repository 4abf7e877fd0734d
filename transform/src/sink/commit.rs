//! What happens to a flush's files once encoded: the source's commit protocol.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use alarmlake_schemas::Table;
use chrono::Utc;
use deltalake_core::kernel::Add;

use crate::delta::{DeltaError, LakeTables, add_action};
use crate::lake::{Lake, LakeError};
use crate::writer::PreparedFile;

use super::{FlushError, Pending};

/// Makes a flush's files durable and visible. A checkpointed source records its intent,
/// writes the files and moves its position (ingest's shard reader); a source with nothing to
/// replay from writes them and is done ([`WriteToLake`]).
pub trait CommitHook {
    type Error: From<FlushError>;

    /// Commits `files` (possibly none: a flush of chatter only still moves a position). After
    /// [`super::Sink::flush_all`] they hold exactly what `pending` counted; after
    /// [`super::Sink::flush_due`], a part of it.
    fn commit(
        &mut self,
        files: Vec<PreparedFile>,
        pending: &Pending,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Files become visible in Delta commits of their own (no position to keep): `ingest-file`,
/// `demo` and the ser2sock source. Each flush's files are written, then committed, one commit
/// per table; with [`WriteToLake::grouping`], the commits of several flushes are grouped.
pub struct WriteToLake<'a> {
    lake: &'a Lake,
    tables: LakeTables,
    /// Written files not yet committed, per table, when commits are grouped.
    staged: BTreeMap<Table, Vec<Add>>,
    staged_since: Option<Instant>,
    group: Option<Group>,
    /// Files and bytes written so far.
    pub files: u64,
    pub bytes: u64,
}

/// When grouped commits are made: after this many files, or once the oldest waited this long.
#[derive(Debug, Clone, Copy)]
struct Group {
    files: usize,
    wait: Duration,
}

impl<'a> WriteToLake<'a> {
    pub fn new(lake: &'a Lake) -> WriteToLake<'a> {
        WriteToLake {
            lake,
            tables: LakeTables::new(lake.clone()),
            staged: BTreeMap::new(),
            staged_since: None,
            group: None,
            files: 0,
            bytes: 0,
        }
    }

    /// Groups the commits of several flushes: a commit is made once `files` files wait, or the
    /// oldest has waited `wait` (checked at each flush), and by [`WriteToLake::finish`].
    ///
    /// *Why:* a file feed flushes partition by partition, and a Delta commit costs a log write
    /// and a snapshot update; one commit per flush would cost more than encoding the files.
    pub fn grouping(mut self, files: usize, wait: Duration) -> WriteToLake<'a> {
        self.group = Some(Group { files, wait });
        self
    }

    /// Commits whatever waits.
    pub async fn finish(&mut self) -> Result<(), WriteError> {
        for (table, adds) in std::mem::take(&mut self.staged) {
            self.tables.commit_adds(table, adds, None).await?;
        }
        self.staged_since = None;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Flush(#[from] FlushError),
    #[error("cannot write to the lake: {0}")]
    Lake(#[from] LakeError),
    #[error("cannot commit to the lake: {0}")]
    Delta(#[from] DeltaError),
}

impl CommitHook for WriteToLake<'_> {
    type Error = WriteError;

    async fn commit(&mut self, files: Vec<PreparedFile>, _: &Pending) -> Result<(), WriteError> {
        self.tables.prepare(&files).await?;
        for written in self.lake.write(&files).await? {
            self.files += 1;
            self.bytes += written.bytes;
        }
        let now = Utc::now().timestamp_millis();
        for file in &files {
            self.staged
                .entry(file.table)
                .or_default()
                .push(add_action(file, now)?);
        }
        let since = *self.staged_since.get_or_insert_with(Instant::now);
        let staged: usize = self.staged.values().map(Vec::len).sum();
        let due = match self.group {
            None => true,
            Some(group) => staged >= group.files || since.elapsed() >= group.wait,
        };
        if due {
            self.finish().await?;
        }
        Ok(())
    }
}
