//! The decode → writer path shared by `ingest-file` and `demo`: records are decoded on the
//! calling thread and Parquet is encoded and written on a second one, joined by a bounded
//! channel, so both cores work and memory stays bounded.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use alarmlake_schemas::{Decoder, Outcome, RawRecord, Tally};
use alarmlake_transform::{FinishedBatch, Lake, LakeWriter, PreparedFile, WriterConfig};
use anyhow::{Context, Result};

/// Counts for the summary.
#[derive(Default)]
pub struct Summary {
    pub records: u64,
    pub bytes: u64,
    pub tally: Tally,
    pub events_by_table: BTreeMap<&'static str, u64>,
    pub rejects_by_reason: BTreeMap<&'static str, u64>,
    pub files: u64,
    pub file_bytes: u64,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.tally.add(outcome);
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

    pub fn print(&self, lake: &str, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let t = &self.tally;
        eprintln!(
            "ingested {} records ({:.1} MB) into {lake} in {seconds:.2} s: {:.0} records/s, {:.1} MB/s",
            self.records,
            self.bytes as f64 / 1e6,
            self.records as f64 / seconds,
            self.bytes as f64 / 1e6 / seconds
        );
        eprintln!(
            "  {} events, {} rejected, {} chatter skipped",
            t.events, t.rejected, t.chatter
        );
        if t.unknown_fields + t.type_changed_fields > 0 {
            eprintln!(
                "  schema drift: {} unknown fields and {} fields of a changed type kept in the extra column",
                t.unknown_fields, t.type_changed_fields
            );
        }
        for (table, n) in &self.events_by_table {
            eprintln!("  {table}: {n}");
        }
        for (reason, n) in &self.rejects_by_reason {
            eprintln!("  dead_letters ({reason}): {n}");
        }
        eprintln!(
            "  {} files written, {:.1} MB",
            self.files,
            self.file_bytes as f64 / 1e6
        );
    }
}

/// Files written by the encoder thread.
#[derive(Default)]
struct Written {
    files: u64,
    bytes: u64,
}

/// Encodes finished batches and writes them, on its own thread, so that decoding (on the
/// reading thread) and Parquet encoding use both cores. The channel is bounded: when encoding
/// falls behind, reading waits, and memory stays bounded.
fn encode_and_write(lake: &Lake, batches: Receiver<Vec<FinishedBatch>>) -> Result<Written> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the I/O runtime")?;
    let mut written = Written::default();
    for group in batches {
        let files: Vec<PreparedFile> = group
            .iter()
            .map(FinishedBatch::encode)
            .collect::<Result<_, _>>()?;
        for file in runtime
            .block_on(lake.write(&files))
            .context("cannot write to the lake")?
        {
            written.files += 1;
            written.bytes += file.bytes;
        }
    }
    Ok(written)
}

/// Feeds every record `feed` pushes through the decoder into `lake`, calling `progress` now
/// and then. Returns the counts once everything is written.
pub fn ingest(
    lake: &Lake,
    decoder: &Decoder,
    config: WriterConfig,
    feed: impl FnOnce(&mut dyn FnMut(RawRecord) -> Result<()>) -> Result<()>,
    mut progress: impl FnMut(&Summary),
) -> Result<Summary> {
    let mut writer = LakeWriter::new(config);
    let mut summary = Summary::default();
    let (sender, receiver) = sync_channel::<Vec<FinishedBatch>>(2);
    let written = std::thread::scope(|scope| -> Result<Written> {
        let worker = scope.spawn(|| encode_and_write(lake, receiver));
        let mut outcomes = Vec::new();
        let read = (|| -> Result<()> {
            feed(&mut |record: RawRecord| {
                summary.records += 1;
                summary.bytes += record.data.len() as u64 + 1;
                outcomes.clear();
                decoder.decode_into(&record, &mut outcomes);
                outcomes.iter().for_each(|o| summary.add(o));
                let now = Instant::now();
                writer.append(&record.position, record.data.len(), &outcomes, now);
                // Checking the flush policy is cheap, but not free: once per thousand records.
                if summary.records.is_multiple_of(1024) {
                    let due = writer.take_due_batches(now)?;
                    if !due.is_empty() {
                        sender.send(due).context("the lake writer stopped")?;
                    }
                    progress(&summary);
                }
                Ok(())
            })?;
            sender
                .send(writer.take_all_batches()?)
                .context("the lake writer stopped")?;
            Ok(())
        })();
        drop(sender);
        let written = worker
            .join()
            .map_err(|_| anyhow::anyhow!("the lake writer thread panicked"))?;
        // A writer failure is the cause of a read-side "stopped" error: report it first.
        let written = written?;
        read?;
        Ok(written)
    })?;
    summary.files = written.files;
    summary.file_bytes = written.bytes;
    Ok(summary)
}
