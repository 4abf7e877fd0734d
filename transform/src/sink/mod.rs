//! The one pipeline from records to the lake. Every source feeds a [`Sink`]: the Kinesis shard
//! reader, the ser2sock source, `ingest-file` and `demo`.
//!
//! A sink decodes each record (de-aggregating KPL records first where the source carries them),
//! buffers the outcomes per UTC hour in the lake writer, counts what is pending, and answers the
//! flush policy ([`policy`]). A flush takes buffers, encodes them off the calling thread
//! ([`encode`]), and hands the files to a [`CommitHook`]: the source's way of making them
//! durable and visible (written as they are for files and ser2sock; intent, files, commit for a
//! checkpointed shard). [`ingest_feed`] runs a synchronous feed (files, stdin, the generator)
//! with decoding and encoding on two threads.

mod blocking;
mod commit;
mod encode;
pub(crate) mod policy;

use std::sync::Arc;
use std::time::Instant;

use alarmlake_schemas::kpl::deaggregate_record;
use alarmlake_schemas::{Decoder, Outcome, RawRecord, Tally};
use chrono::{DateTime, Utc};

use crate::late_rows::Held;
use crate::writer::{FinishedBatch, LakeWriter, WriterConfig, WriterError};

pub use blocking::{FeedError, FeedSummary, ingest_feed};
pub use commit::{CommitHook, WriteError, WriteToLake};
pub use encode::{FlushError, encode_batches};

/// What a sink holds that is not yet flushed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    /// Records pushed (a KPL aggregate counts once).
    pub records: u64,
    /// Bytes of the user records' data.
    pub bytes: usize,
    /// Rows buffered: events and dead letters (chatter makes none).
    pub rows: usize,
    /// When the first pending record was pushed.
    pub since: Option<Instant>,
    /// The earliest arrival time among the pending records.
    pub oldest_arrival: Option<DateTime<Utc>>,
}

/// Decoding, buffering and the flush policy for one source (one shard, one connection, one
/// run of `ingest-file`).
pub struct Sink {
    decoder: Arc<Decoder>,
    writer: LakeWriter,
    /// Reused for every record: the outcomes of the last one pushed.
    outcomes: Vec<Outcome>,
    pending: Pending,
    /// Undo KPL aggregation before decoding (Kinesis records).
    deaggregate: bool,
}

impl Sink {
    pub fn new(decoder: Arc<Decoder>, config: WriterConfig) -> Sink {
        Sink {
            decoder,
            writer: LakeWriter::new(config),
            outcomes: Vec::new(),
            pending: Pending::default(),
            deaggregate: false,
        }
    }

    /// A sink whose records may be KPL aggregates, as on a Kinesis stream.
    pub fn deaggregating(mut self) -> Sink {
        self.deaggregate = true;
        self
    }

    /// Decodes `record` and buffers what it became; its outcomes are added to `tally` and
    /// returned.
    pub fn push(&mut self, record: RawRecord, now: Instant, tally: &mut Tally) -> &[Outcome] {
        // A record read again after a crash was counted by the flush that committed it.
        let again = self.writer.replays(&record.position.sequence_number);
        tally.replayed += u64::from(again);
        let pending = &mut self.pending;
        pending.records += u64::from(!again);
        pending.since.get_or_insert(now);
        let arrival = record.position.arrival_time;
        pending.oldest_arrival = Some(pending.oldest_arrival.map_or(arrival, |t| t.min(arrival)));
        self.outcomes.clear();
        // Only while a replay lasts: the hot path copies no sequence number.
        let replaying = self
            .writer
            .is_replaying()
            .then(|| record.position.sequence_number.clone());
        if self.deaggregate {
            for user in deaggregate_record(record) {
                self.append(&user, now);
            }
        } else {
            self.append(&record, now);
        }
        if let Some(sequence) = replaying {
            self.writer.replayed(&sequence);
        }
        let mut rows = 0;
        for outcome in &self.outcomes {
            // Events of a record read again were counted when it was first read.
            if !again {
                tally.add(outcome);
            }
            rows += usize::from(!matches!(outcome, Outcome::Chatter { .. }));
        }
        self.pending.rows += rows;
        &self.outcomes
    }

    fn append(&mut self, record: &RawRecord, now: Instant) {
        let start = self.outcomes.len();
        self.decoder.decode_into(record, &mut self.outcomes);
        self.pending.bytes += record.data.len();
        self.writer.append(
            &record.position,
            record.data.len(),
            &self.outcomes[start..],
            now,
        );
    }

    pub fn pending(&self) -> &Pending {
        &self.pending
    }

    /// The flush tick at which what is buffered falls due by age, if anything is: the round a
    /// shard joins (see `delta::Rounds`).
    pub fn due_tick(&self) -> Option<u128> {
        policy::due_tick(&self.pending, self.writer.config())
    }

    /// The flush tick `now` falls in.
    pub fn tick_at(&self, now: Instant) -> u128 {
        policy::tick_at(now, self.writer.config())
    }

    /// Whether everything buffered should be flushed now (see [`policy::whole_due`]).
    pub fn whole_due(&self, now: Instant) -> bool {
        policy::whole_due(&self.pending, self.writer.config(), now)
    }

    /// The buffers the partition policy says are due (see [`policy::due_partitions`]).
    pub fn take_due(&mut self, now: Instant) -> Result<Vec<FinishedBatch>, WriterError> {
        let due = self.writer.take_due_batches(now)?;
        if self.writer.open_partitions() == 0 {
            self.pending = Pending::default();
        }
        Ok(due)
    }

    /// Reads records again after a crash: up to `until` (the committed position), only the late
    /// rows `held` names are buffered (`late_rows.rs`).
    pub fn replaying(&mut self, until: String, held: &Held) {
        self.writer.replaying(until, held);
    }

    /// Whether a held late hour is due at `now` (by size, hold time or the memory caps).
    pub fn late_due(&self, now: Instant) -> bool {
        self.writer.late_is_due(now)
    }

    /// Whether late rows are held.
    pub fn holds_late(&self) -> bool {
        self.writer.holds_late()
    }

    /// A checkpointed flush: every on-time buffer and the late hours due (all of them with
    /// `everything`), what was pending, and the late hours still held after it.
    pub fn take_for_commit(
        &mut self,
        now: Instant,
        everything: bool,
    ) -> Result<(Vec<FinishedBatch>, Pending, Option<Held>), WriterError> {
        let batches = self.writer.take_flush_batches(now, everything)?;
        let held = self.writer.held();
        Ok((batches, std::mem::take(&mut self.pending), held))
    }

    /// Every buffer, and what was pending.
    pub fn take_all(&mut self) -> Result<(Vec<FinishedBatch>, Pending), WriterError> {
        let batches = self.writer.take_all_batches()?;
        Ok((batches, std::mem::take(&mut self.pending)))
    }

    /// Flushes everything: encodes off this thread, then commits through `hook`.
    pub async fn flush_all<H: CommitHook>(&mut self, hook: &mut H) -> Result<(), H::Error> {
        let (batches, pending) = self.take_all().map_err(FlushError::from)?;
        let files = encode_batches(batches).await?;
        hook.commit(files, &pending).await
    }

    /// Flushes the buffers that are due, through `hook`. The hook hears what was pending before
    /// the flush, of which these files may hold only a part (sources that flush by partition
    /// keep no position, so they do not need to know which).
    pub async fn flush_due<H: CommitHook>(
        &mut self,
        now: Instant,
        hook: &mut H,
    ) -> Result<(), H::Error> {
        let pending = self.pending;
        let batches = self.take_due(now).map_err(FlushError::from)?;
        if batches.is_empty() {
            return Ok(());
        }
        let files = encode_batches(batches).await?;
        hook.commit(files, &pending).await
    }
}
