//! A synchronous feed into the lake: `ingest-file` (files, stdin) and `demo` (the generator).
//! Records are decoded on the calling thread and Parquet is encoded and written on a second
//! one ([`super::encode`]), joined by a bounded channel, so both cores work and memory stays
//! bounded.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use alarmlake_schemas::{Outcome, RawRecord, Tally};

use super::commit::{CommitHook, WriteError, WriteToLake};
use super::encode::encode_all;
use super::{FlushError, Pending, Sink};
use crate::lake::Lake;
use crate::writer::FinishedBatch;

/// Batch groups waiting for the encoder thread; past this, the feed waits.
const QUEUED_FLUSHES: usize = 2;

/// A feed's commits: after this many files, or once the oldest uncommitted file has waited
/// this long (so a long feed's rows become visible as it goes).
const GROUP_FILES: usize = 2_000;
const GROUP_WAIT: Duration = Duration::from_secs(5);

/// How often (in records) the flush policy is asked: cheap, but not free.
const POLICY_EVERY: u64 = 1024;

/// Counts for the summary.
#[derive(Debug, Default, Clone)]
pub struct FeedSummary {
    pub records: u64,
    /// Input bytes, a line's newline included.
    pub bytes: u64,
    pub tally: Tally,
    pub events_by_table: BTreeMap<&'static str, u64>,
    pub rejects_by_reason: BTreeMap<&'static str, u64>,
    pub files: u64,
    pub file_bytes: u64,
}

impl FeedSummary {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Event(e) => {
                *self
                    .events_by_table
                    .entry(e.body.table().name())
                    .or_default() += 1
            }
            Outcome::Rejected { rejected, .. } => {
                *self
                    .rejects_by_reason
                    .entry(rejected.reason.as_str())
                    .or_default() += 1
            }
            Outcome::Chatter { .. } => {}
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Flush(#[from] FlushError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(std::io::Error),
    /// The encoder thread ended early; its own error is returned instead where it has one.
    #[error("the lake writer stopped")]
    WriterStopped,
    #[error("the lake writer thread panicked")]
    WriterPanicked,
}

/// Files written by the encoder thread.
#[derive(Default)]
struct Written {
    files: u64,
    bytes: u64,
}

/// Encodes finished batches and writes them, on its own thread.
fn encode_and_write(
    lake: &Lake,
    batches: Receiver<Vec<FinishedBatch>>,
) -> Result<Written, FeedError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FeedError::Runtime)?;
    let mut hook = WriteToLake::new(lake).grouping(GROUP_FILES, GROUP_WAIT);
    for group in batches {
        let files = encode_all(&group).map_err(FlushError::from)?;
        runtime.block_on(hook.commit(files, &Pending::default()))?;
    }
    runtime.block_on(hook.finish())?;
    Ok(Written {
        files: hook.files,
        bytes: hook.bytes,
    })
}

/// Feeds every record `feed` pushes through `sink` into `lake`, calling `progress` now and
/// then. Returns the counts once everything is written.
pub fn ingest_feed<E: From<FeedError>>(
    lake: &Lake,
    mut sink: Sink,
    feed: impl FnOnce(&mut dyn FnMut(RawRecord) -> Result<(), FeedError>) -> Result<(), E>,
    mut progress: impl FnMut(&FeedSummary),
) -> Result<FeedSummary, E> {
    let mut summary = FeedSummary::default();
    let (sender, receiver) = sync_channel::<Vec<FinishedBatch>>(QUEUED_FLUSHES);
    let written = std::thread::scope(|scope| -> Result<Written, E> {
        let worker = scope.spawn(|| encode_and_write(lake, receiver));
        let read = (|| -> Result<(), E> {
            feed(&mut |record: RawRecord| {
                summary.records += 1;
                summary.bytes += record.data.len() as u64 + 1;
                let now = Instant::now();
                let mut tally = Tally::default();
                for outcome in sink.push(record, now, &mut tally) {
                    summary.add(outcome);
                }
                summary.tally.add_all(&tally);
                if summary.records.is_multiple_of(POLICY_EVERY) {
                    let due = sink.take_due(now).map_err(FlushError::from)?;
                    if !due.is_empty() {
                        sender.send(due).map_err(|_| FeedError::WriterStopped)?;
                    }
                    progress(&summary);
                }
                Ok(())
            })?;
            let (rest, _) = sink
                .take_all()
                .map_err(FlushError::from)
                .map_err(FeedError::from)?;
            sender.send(rest).map_err(|_| FeedError::WriterStopped)?;
            Ok(())
        })();
        drop(sender);
        let written = worker.join().map_err(|_| FeedError::WriterPanicked)?;
        // A writer failure is the cause of a read-side "stopped" error: report it first.
        let written = written?;
        read?;
        Ok(written)
    })?;
    summary.files = written.files;
    summary.file_bytes = written.bytes;
    Ok(summary)
}
