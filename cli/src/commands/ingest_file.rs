//! `alarmlake ingest-file`: files or stdin through the same decode → writer path the consumer
//! uses, into the lake. Bad records become dead letters; only I/O failures stop it.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use alarmlake_schemas::{Decoder, Outcome, Tally};
use alarmlake_transform::{FinishedBatch, Lake, LakeWriter, PreparedFile, WriterConfig};
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::decoder_args::DecoderArgs;
use crate::input::for_each_record;

#[derive(Args, Debug)]
pub struct IngestFileArgs {
    /// Files to read, one record per line; `-` reads stdin.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// The lake: a folder, or s3://bucket/prefix (AWS settings from the environment).
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    /// S3 endpoint, for S3-compatible stores and emulators (default: AWS_ENDPOINT_URL).
    #[arg(long, env = "ALARMLAKE_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    #[command(flatten)]
    decoder: DecoderArgs,
    /// Rows of one hour after which its file is written.
    #[arg(long, default_value_t = 1_000_000)]
    max_rows: usize,
    /// Input megabytes of one hour after which its file is written.
    #[arg(long, default_value_t = 128)]
    target_mb: usize,
    /// Hours buffered at once; past it, the oldest is written.
    #[arg(long, default_value_t = 48)]
    max_open_partitions: usize,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// Counts for the summary.
#[derive(Default)]
struct Summary {
    records: u64,
    bytes: u64,
    tally: Tally,
    events_by_table: BTreeMap<&'static str, u64>,
    rejects_by_reason: BTreeMap<&'static str, u64>,
    files: u64,
    file_bytes: u64,
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

    fn print(&self, lake: &str, elapsed: Duration) {
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

fn progress_bar(args: &IngestFileArgs) -> ProgressBar {
    if args.no_progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total: Option<u64> = args
        .inputs
        .iter()
        .map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();
    match total {
        Some(bytes) if !args.inputs.iter().any(|p| p == "-") => {
            let bar = ProgressBar::new(bytes);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        }
        _ => ProgressBar::new_spinner(),
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

pub fn run(args: IngestFileArgs) -> Result<ExitCode> {
    let decoder = Decoder::new(args.decoder.config()?);
    let lake = Lake::open(&args.lake, args.s3_endpoint.as_deref())
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let mut writer = LakeWriter::new(WriterConfig {
        max_rows: args.max_rows,
        target_bytes: args.target_mb * 1024 * 1024,
        max_open_partitions: args.max_open_partitions,
        ..WriterConfig::default()
    });
    let bar = progress_bar(&args);
    let started = Instant::now();
    let mut summary = Summary::default();
    let (sender, receiver) = sync_channel::<Vec<FinishedBatch>>(2);
    let written = std::thread::scope(|scope| -> Result<Written> {
        let worker = scope.spawn(|| encode_and_write(&lake, receiver));
        let mut outcomes = Vec::new();
        let read = (|| -> Result<()> {
            for input in &args.inputs {
                for_each_record(input, false, |record| {
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
                        bar.set_position(summary.bytes);
                        bar.set_message(format!("{} events", summary.tally.events));
                    }
                    Ok(())
                })?;
            }
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
    bar.finish_and_clear();
    summary.print(lake.location(), started.elapsed());
    Ok(ExitCode::SUCCESS)
}
