//! What happens to a flush's files once encoded: the source's commit protocol.

use std::future::Future;

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

/// Files become visible as they are written: `ingest-file`, `demo` and the ser2sock source.
pub struct WriteToLake<'a> {
    pub lake: &'a Lake,
    /// Files and bytes written so far.
    pub files: u64,
    pub bytes: u64,
}

impl<'a> WriteToLake<'a> {
    pub fn new(lake: &'a Lake) -> WriteToLake<'a> {
        WriteToLake {
            lake,
            files: 0,
            bytes: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Flush(#[from] FlushError),
    #[error("cannot write to the lake: {0}")]
    Lake(#[from] LakeError),
}

impl CommitHook for WriteToLake<'_> {
    type Error = WriteError;

    async fn commit(&mut self, files: Vec<PreparedFile>, _: &Pending) -> Result<(), WriteError> {
        for written in self.lake.write(&files).await? {
            self.files += 1;
            self.bytes += written.bytes;
        }
        Ok(())
    }
}
