//! The seam under the shard reader: the five calls a reader and the coordinator make to a
//! stream, as a trait.
//!
//! *Why a trait:* the reader's checkpoint, resharding and retry logic is the part of the
//! consumer that must never be wrong, and through the real client it can only be exercised
//! against an HTTP emulator, where a throttled answer, an expired iterator or a split at an
//! exact record cannot be asked for. [`Kinesis`] is the production source; the in-memory
//! stream in [`memory`] (tests only) scripts those cases. The reader is generic over its
//! source, so production code pays no dynamic dispatch on its hot path.

#[cfg(test)]
pub(crate) mod memory;

use std::future::Future;

use crate::kinesis::{FanOut, Kinesis, KinesisError, RecordsPage, ShardInfo, StartAt};

/// A stream's shards and their records, as a shard reader sees them.
pub(crate) trait RecordSource: Clone + Send + Sync + 'static {
    /// The stream's name, for logs and errors.
    fn stream(&self) -> &str;

    /// Checks that the stream can be read at all (credentials, existence).
    fn check(&self) -> impl Future<Output = Result<(), KinesisError>> + Send;

    /// Every shard not yet expired, open or closed, with its parents.
    fn list_shards(&self) -> impl Future<Output = Result<Vec<ShardInfo>, KinesisError>> + Send;

    /// An iterator into `shard_id` at `start`.
    fn iterator(
        &self,
        shard_id: &str,
        start: &StartAt,
    ) -> impl Future<Output = Result<String, KinesisError>> + Send;

    /// Up to `limit` records from `iterator`; a page without a next iterator is the shard's end.
    fn get_records(
        &self,
        shard_id: &str,
        iterator: &str,
        limit: i32,
    ) -> impl Future<Output = Result<RecordsPage, KinesisError>> + Send;

    /// Whether records are pushed as they arrive (enhanced fan-out): a page waits for them, so
    /// the reader asks for the next one at once, without the pacing that keeps a polling reader
    /// within its share of the shard's calls.
    fn pushes(&self) -> bool {
        false
    }
}

impl RecordSource for FanOut {
    fn stream(&self) -> &str {
        self.kinesis().stream()
    }

    async fn check(&self) -> Result<(), KinesisError> {
        self.kinesis().check().await.map(|_| ())
    }

    fn list_shards(&self) -> impl Future<Output = Result<Vec<ShardInfo>, KinesisError>> + Send {
        self.kinesis().list_shards()
    }

    async fn iterator(&self, _shard_id: &str, start: &StartAt) -> Result<String, KinesisError> {
        Ok(FanOut::token(start))
    }

    fn get_records(
        &self,
        shard_id: &str,
        iterator: &str,
        _limit: i32,
    ) -> impl Future<Output = Result<RecordsPage, KinesisError>> + Send {
        self.next_page(shard_id, iterator)
    }

    fn pushes(&self) -> bool {
        true
    }
}

impl RecordSource for Kinesis {
    fn stream(&self) -> &str {
        Kinesis::stream(self)
    }

    async fn check(&self) -> Result<(), KinesisError> {
        Kinesis::check(self).await.map(|_| ())
    }

    fn list_shards(&self) -> impl Future<Output = Result<Vec<ShardInfo>, KinesisError>> + Send {
        Kinesis::list_shards(self)
    }

    fn iterator(
        &self,
        shard_id: &str,
        start: &StartAt,
    ) -> impl Future<Output = Result<String, KinesisError>> + Send {
        Kinesis::iterator(self, shard_id, start)
    }

    fn get_records(
        &self,
        shard_id: &str,
        iterator: &str,
        limit: i32,
    ) -> impl Future<Output = Result<RecordsPage, KinesisError>> + Send {
        Kinesis::get_records(self, shard_id, iterator, limit)
    }
}
