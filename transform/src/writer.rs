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
use crate::late_rows::{Held, LateRule, Replay};
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
    /// Late rows held per hour across flushes (`late_rows.rs`); `None`: every buffer is written
    /// at each flush (sources without a position to keep flush by partition instead).
    pub late: Option<LateRule>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            target_bytes: 128 * 1024 * 1024,
            max_rows: 1_000_000,
            max_age: Duration::from_secs(60),
            max_open_partitions: 48,
            max_buffered_bytes: 512 * 1024 * 1024,
            late: None,
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
    /// Late rows, held per hour, each hour with the first record whose rows it holds.
    late: BTreeMap<PartitionKey, (Buffer, String)>,
    /// Records read again after a crash, up to the committed position (`late_rows.rs`).
    replay: Option<Replay>,
}

impl LakeWriter {
    pub fn new(config: WriterConfig) -> Self {
        LakeWriter {
            config,
            buffers: BTreeMap::new(),
            late: BTreeMap::new(),
            replay: None,
        }
    }

    /// Reads records again from the earliest held one (after a crash): up to `until`, the
    /// committed position, only the rows `held` names are buffered.
    pub fn replaying(&mut self, until: String, held: &Held) {
        self.replay = Some(Replay::new(until, held));
    }

    /// Whether the record at `sequence` was read before the crash (so it counts no new record).
    pub fn replays(&self, sequence: &str) -> bool {
        self.replay.as_ref().is_some_and(|r| r.covers(sequence))
    }

    /// Whether records read before a crash are being read again.
    pub fn is_replaying(&self) -> bool {
        self.replay.is_some()
    }

    /// Ends the replay once the record at the committed position (or one past it) was buffered:
    /// every held row is in a buffer again.
    pub fn replayed(&mut self, sequence: &str) {
        if self.replay.as_ref().is_some_and(|r| r.ends_at(sequence)) {
            self.replay = None;
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
        let sequence = &position.sequence_number;
        let LakeWriter {
            config,
            buffers,
            late,
            replay,
        } = self;
        let replay = replay.as_ref().filter(|r| r.covers(sequence));
        let opened = || Buffer {
            batches: LakeBatches::new(Utc::now()),
            rows: 0,
            bytes: 0,
            opened: now,
        };
        let first_on_time = config
            .late
            .map(|rule| rule.first_on_time_hour(position.arrival_time));
        for outcome in outcomes {
            let key = match outcome {
                Outcome::Event(event) => PartitionKey::of(event.event_time),
                Outcome::Rejected { .. } => PartitionKey::of(position.arrival_time),
                Outcome::Chatter { .. } => continue,
            };
            let is_late = first_on_time.is_some_and(|first| key < first);
            let to_late = match replay {
                // Read before the crash: only the rows still held then are not in the lake.
                Some(replay) if !replay.keeps(key, position.arrival_time, sequence) => continue,
                Some(_) => true,
                None => is_late,
            };
            let buffer = if to_late {
                // A late hour remembers the first record whose rows it holds.
                &mut late
                    .entry(key)
                    .or_insert_with(|| (opened(), sequence.clone()))
                    .0
            } else {
                buffers.entry(key).or_insert_with(opened)
            };
            buffer.batches.append(position, outcome);
            buffer.rows += 1;
            buffer.bytes += share;
        }
    }

    /// The late hours held now, for the checkpoint; `None` when none is. During a replay, the
    /// checkpoint's as they were (see [`Replay`]).
    pub fn held(&self) -> Option<Held> {
        if let Some(replay) = &self.replay {
            return Some(replay.original().clone());
        }
        let rule = self.config.late?;
        (!self.late.is_empty()).then(|| Held {
            late_after_secs: rule.after.num_seconds(),
            hours: self
                .late
                .iter()
                .map(|(key, (_, first))| (key.to_string(), first.clone()))
                .collect(),
        })
    }

    /// The late hours due at `now`: by size, by their hold time, or by the memory caps. None
    /// while a replay lasts (see [`Replay`]).
    fn late_due(&self, now: Instant) -> Vec<PartitionKey> {
        let Some(rule) = self.config.late.filter(|_| self.replay.is_none()) else {
            return Vec::new();
        };
        let states: Vec<BufferState> = self
            .late
            .iter()
            .map(|(key, (b, _))| BufferState {
                key: *key,
                opened: b.opened,
                rows: b.rows,
                bytes: b.bytes,
            })
            .collect();
        let held = WriterConfig {
            max_age: rule.hold,
            ..self.config.clone()
        };
        due_partitions(&states, &held, now)
    }

    /// Whether a late hour is due at `now`.
    pub fn late_is_due(&self, now: Instant) -> bool {
        !self.late_due(now).is_empty()
    }

    /// Whether late rows are held.
    pub fn holds_late(&self) -> bool {
        !self.late.is_empty()
    }

    /// What a checkpointed flush writes: every on-time buffer, and the late hours due at `now`
    /// (all of them with `everything`: the shard stops or ends).
    pub fn take_flush_batches(
        &mut self,
        now: Instant,
        everything: bool,
    ) -> Result<Vec<FinishedBatch>, WriterError> {
        let late: Vec<PartitionKey> = if everything && self.replay.is_none() {
            self.late.keys().copied().collect()
        } else {
            self.late_due(now)
        };
        let keys: Vec<PartitionKey> = self.buffers.keys().copied().collect();
        let mut finished = self.take(&keys)?;
        for key in late {
            if let Some((buffer, _)) = self.late.remove(&key) {
                finish(key, buffer, &mut finished)?;
            }
        }
        Ok(finished)
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

    /// Every buffer, late ones included, finished but not encoded.
    pub fn take_all_batches(&mut self) -> Result<Vec<FinishedBatch>, WriterError> {
        self.take_flush_batches(Instant::now(), true)
    }

    fn take(&mut self, keys: &[PartitionKey]) -> Result<Vec<FinishedBatch>, WriterError> {
        let mut finished = Vec::new();
        for key in keys {
            if let Some(buffer) = self.buffers.remove(key) {
                finish(*key, buffer, &mut finished)?;
            }
        }
        Ok(finished)
    }
}

/// A buffer's record batches, one per table it holds rows of.
fn finish(
    key: PartitionKey,
    mut buffer: Buffer,
    finished: &mut Vec<FinishedBatch>,
) -> Result<(), WriterError> {
    for (table, batch) in buffer.batches.finish()? {
        finished.push(FinishedBatch {
            table,
            partition: key,
            batch,
        });
    }
    Ok(())
}
