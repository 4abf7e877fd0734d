//! `alarmlake ingest-file`: files or stdin through the same decode → writer path the consumer
//! uses, into the lake. Bad records become dead letters; only I/O failures stop it.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alarmlake_loadtest::progress;
use alarmlake_schemas::Decoder;
use alarmlake_transform::sink::{FeedSummary, Sink, ingest_feed};
use alarmlake_transform::{Lake, WriterConfig};
use anyhow::{Context, Result};
use clap::Args;
use indicatif::ProgressBar;

use crate::aws_args::AwsArgs;
use crate::decoder_args::DecoderArgs;
use alarmlake_ingest::for_each_record;

#[derive(Args, Debug)]
pub struct IngestFileArgs {
    /// Files to read, one record per line; `-` reads stdin.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// The lake: a folder, or s3://bucket/prefix (AWS: --profile, --region, the standard chain).
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
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

fn progress_bar(args: &IngestFileArgs) -> ProgressBar {
    let total: Option<u64> = args
        .inputs
        .iter()
        .map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();
    match total {
        Some(bytes) if !args.inputs.iter().any(|p| p == "-") => progress::bar(
            args.no_progress,
            Some(bytes),
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
        ),
        _ => progress::bar(args.no_progress, None, "{spinner} {elapsed} {msg}"),
    }
}

pub fn run(args: IngestFileArgs) -> Result<ExitCode> {
    let decoder = Decoder::new(args.decoder.config()?);
    let s3 = args.aws.load_blocking(&[&args.lake])?;
    let lake = Lake::open(&args.lake, Some(&s3))
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let config = WriterConfig {
        max_rows: args.max_rows,
        target_bytes: args.target_mb * 1024 * 1024,
        max_open_partitions: args.max_open_partitions,
        ..WriterConfig::default()
    };
    let bar = progress_bar(&args);
    let started = Instant::now();
    let sink = Sink::new(Arc::new(decoder), config);
    let summary = ingest_feed(
        &lake,
        sink,
        |push| -> Result<()> {
            for input in &args.inputs {
                for_each_record(input, false, |record| -> Result<()> { Ok(push(record)?) })?;
            }
            Ok(())
        },
        |summary| {
            bar.set_position(summary.bytes);
            bar.set_message(format!("{} events", summary.tally.events));
        },
    )?;
    bar.finish_and_clear();
    print_summary(&summary, lake.location(), started.elapsed());
    Ok(ExitCode::SUCCESS)
}

/// What an ingestion did, on stderr.
pub fn print_summary(summary: &FeedSummary, lake: &str, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let t = &summary.tally;
    eprintln!(
        "ingested {} records ({:.1} MB) into {lake} in {seconds:.2} s: {:.0} records/s, {:.1} MB/s",
        summary.records,
        summary.bytes as f64 / 1e6,
        summary.records as f64 / seconds,
        summary.bytes as f64 / 1e6 / seconds
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
    for (table, n) in &summary.events_by_table {
        eprintln!("  {table}: {n}");
    }
    for (reason, n) in &summary.rejects_by_reason {
        eprintln!("  dead_letters ({reason}): {n}");
    }
    eprintln!(
        "  {} files written, {:.1} MB",
        summary.files,
        summary.file_bytes as f64 / 1e6
    );
}
