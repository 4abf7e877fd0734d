//! Buffers per partition. Outcomes are buffered in Arrow builders per UTC hour (all tables of
//! that hour together); the sink's flush policy (`sink/policy.rs`) decides when a buffer
//! becomes files.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use alarmlake_schemas::{LakeBatches, Outcome, RecordPosition, Table};
use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use bytes::Bytes;
use chrono::Utc;

use crate::file_name::file_name;
use crate::parquet_file::{EncodeError, encode};
use crate::partition::PartitionKey;
use crate::positions::PositionRange;
use crate::sink::policy::{BufferState, due_partitions};

/// When buffers become files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// Input bytes after which a partition's buffer is written (about the size of the
    /// uncompressed data; files come out several times smaller).
    pub target_bytes: usize,
    /// Rows after which a partition's buffer is written.
    pub max_rows: usize,
    /// Longest time a row waits in a buffer (Firehose's buffer interval).
    pub max_age: Duration,
    /// Most partitions buffered at once; past it, the oldest is written.
    pub max_open_partitions: usize,
    /// Most input bytes buffered over all partitions; past it, the oldest is written.
    pub max_buffered_bytes: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            target_bytes: 128 * 1024 * 1024,
            max_rows: 1_000_000,
            max_age: Duration::from_secs(60),
            max_open_partitions: 48,
            max_buffered_bytes: 512 * 1024 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("building record batches: {0}")]
    Arrow(#[from] ArrowError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("a finished batch has no rows")]
    Empty,
}

/// A file encoded in memory, with its final name, not yet written.
#[derive(Debug, Clone)]
pub struct PreparedFile {
    /// Path relative to the lake root: `<table>/date=…/hour=…/<name>.parquet`.
    pub path: String,
    pub table: Table,
    pub partition: PartitionKey,
    pub rows: u64,
    pub bytes: Bytes,
    pub positions: PositionRange,
    /// Delta statistics (`add.stats`), from the footer.
    pub stats: String,
}

/// A partition's rows of one table, finished as a record batch but not yet encoded. Encoding
/// is most of the cost of a flush, so it can run on another thread than the one decoding.
#[derive(Debug, Clone)]
pub struct FinishedBatch {
    pub table: Table,
    pub partition: PartitionKey,
    pub batch: RecordBatch,
}

impl FinishedBatch {
    /// Encodes the batch into a file with its final, deterministic name.
    pub fn encode(&self) -> Result<PreparedFile, WriterError> {
        let encoded = encode(self.table, &self.batch)?;
        let first = encoded.positions.first().ok_or(WriterError::Empty)?;
        Ok(PreparedFile {
            path: format!("{}/{}", self.partition.dir(self.table), file_name(first)),
            table: self.table,
            partition: self.partition,
            rows: self.batch.num_rows() as u64,
            bytes: encoded.bytes,
            positions: encoded.positions,
            stats: encoded.stats,
        })
    }
}

struct Buffer {
    batches: LakeBatches,
    rows: usize,
    bytes: usize,
    opened: Instant,
}

/// The lake writer's buffers. See the crate documentation for the protocol around it.
pub struct LakeWriter {
    config: WriterConfig,
    buffers: BTreeMap<PartitionKey, Buffer>,
}

impl LakeWriter {
    pub fn new(config: WriterConfig) -> Self {
        LakeWriter {
            config,
            buffers: BTreeMap::new(),
        }
    }

    /// Buffers the outcomes of one record of `record_bytes` bytes. Events go to the hour of
    /// their event time, rejections to the hour they arrived; chatter makes no row.
    pub fn append(
        &mut self,
        position: &RecordPosition,
        record_bytes: usize,
        outcomes: &[Outcome],
        now: Instant,
    ) {
        let rows = outcomes
            .iter()
            .filter(|o| !matches!(o, Outcome::Chatter { .. }))
            .count();
        if rows == 0 {
            return;
        }
        let share = (record_bytes / rows).max(64);
        for outcome in outcomes {
            let key = match outcome {
                Outcome::Event(event) => PartitionKey::of(event.event_time),
                Outcome::Rejected { .. } => PartitionKey::of(position.arrival_time),
                Outcome::Chatter { .. } => continue,
            };
            let buffer = self.buffers.entry(key).or_insert_with(|| Buffer {
                batches: LakeBatches::new(Utc::now()),
                rows: 0,
                bytes: 0,
                opened: now,
            });
            buffer.batches.append(position, outcome);
            buffer.rows += 1;
            buffer.bytes += share;
        }
    }

    pub(crate) fn config(&self) -> &WriterConfig {
        &self.config
    }

    /// Partitions currently buffered.
    pub fn open_partitions(&self) -> usize {
        self.buffers.len()
    }

    /// Encodes every buffer that is due at `now`, oldest first.
    pub fn take_due(&mut self, now: Instant) -> Result<Vec<PreparedFile>, WriterError> {
        self.take_due_batches(now)?
            .iter()
            .map(FinishedBatch::encode)
            .collect()
    }

    /// Encodes every buffer (at shutdown, or at the end of a file).
    pub fn take_all(&mut self) -> Result<Vec<PreparedFile>, WriterError> {
        self.take_all_batches()?
            .iter()
            .map(FinishedBatch::encode)
            .collect()
    }

    /// The buffers due at `now` by the flush policy, finished but not encoded.
    pub fn take_due_batches(&mut self, now: Instant) -> Result<Vec<FinishedBatch>, WriterError> {
        let buffers: Vec<BufferState> = self
            .buffers
            .iter()
            .map(|(key, b)| BufferState {
                key: *key,
                opened: b.opened,
                rows: b.rows,
                bytes: b.bytes,
            })
            .collect();
        let due = due_partitions(&buffers, &self.config, now);
        self.take(&due)
    }

    /// Every buffer, finished but not encoded.
    pub fn take_all_batches(&mut self) -> Result<Vec<FinishedBatch>, WriterError> {
        let keys: Vec<PartitionKey> = self.buffers.keys().copied().collect();
        self.take(&keys)
    }

    fn take(&mut self, keys: &[PartitionKey]) -> Result<Vec<FinishedBatch>, WriterError> {
        let mut finished = Vec::new();
        for key in keys {
            let Some(mut buffer) = self.buffers.remove(key) else {
                continue;
            };
            for (table, batch) in buffer.batches.finish()? {
                finished.push(FinishedBatch {
                    table,
                    partition: *key,
                    batch,
                });
            }
        }
        Ok(finished)
    }
}
