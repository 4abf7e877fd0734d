//! `alarmlake compact`: merges the small files of closed partitions into files of a target
//! size, one Delta commit per partition, or lists what it would merge (`--dry-run`).

use std::process::ExitCode;

use alarmlake_loadtest::progress;
use alarmlake_schemas::Table;
use alarmlake_transform::Lake;
use alarmlake_transform::compaction::{Compacted, CompactionConfig, PartitionPlan};
use alarmlake_transform::maintenance::{self, CompactionRun};
use anyhow::{Context, Result};
use chrono::Duration;
use clap::Args;

use crate::aws_args::AwsArgs;
use crate::{duration_arg, size_arg, table_arg};

#[derive(Args, Debug)]
pub struct CompactArgs {
    /// The lake: a folder, or s3://bucket/prefix (AWS: --profile, --region, the standard chain).
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
    /// Only this table [default: every table].
    #[arg(long, value_parser = table_arg::parse)]
    table: Option<Table>,
    /// Only hours that ended at least this long ago (event time): 2h, 1d.
    #[arg(long, default_value = "2h", value_parser = duration_arg::parse)]
    older_than: Duration,
    /// Only hours that ended within this window before now: 3d [default: all history].
    #[arg(long, value_parser = duration_arg::parse)]
    within: Option<Duration>,
    /// Size of the files to write: 128MB, 64MiB.
    #[arg(long, default_value = "128MB", value_parser = size_arg::parse)]
    target_size: u64,
    /// List what would be merged, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Never show a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

pub fn run(args: CompactArgs) -> Result<ExitCode> {
    let s3 = args.aws.load_blocking(&[&args.lake])?;
    let lake = Lake::open(&args.lake, Some(&s3))
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let tables: Vec<Table> = args.table.map_or_else(|| Table::ALL.to_vec(), |t| vec![t]);
    let config = CompactionConfig {
        older_than: args.older_than,
        since: args.within.map(|w| chrono::Utc::now() - w),
        target_bytes: args.target_size,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let owner = owner();
    let bar = progress::bar(
        args.no_progress,
        None,
        "{spinner} {elapsed} compacting: {msg}",
    );
    bar.set_message("reading the tables' logs");
    let (mut partitions, mut files_in, mut files_out) = (0, 0, 0);
    let run = runtime.block_on(maintenance::compact_lake(
        &lake,
        &tables,
        &config,
        args.dry_run,
        &owner,
        |plan, done| {
            partitions += 1;
            files_in += done.files_in;
            files_out += done.files_out;
            bar.suspend(|| println!("{}", done_line(plan, done)));
            bar.set_message(format!(
                "{} done ({files_in} files into {files_out})",
                plural(partitions, "partition")
            ));
        },
    ));
    bar.finish_and_clear();
    let run =
        run.context("compaction failed; what it wrote is in no commit, and vacuum deletes it")?;
    if let Some(held) = &run.held_by {
        eprintln!(
            "another compaction ({}) holds the lake's compaction lock; nothing was done",
            held.owner
        );
        return Ok(ExitCode::from(3));
    }
    for plan in &run.plans {
        for (path, reason) in &plan.left_alone {
            eprintln!("left alone: {path}: {reason}");
        }
        if args.dry_run && !plan.outputs.is_empty() {
            println!("{}", plan_line(plan));
        }
    }
    println!("{}", summary(&run, args.dry_run));
    Ok(ExitCode::SUCCESS)
}

/// Who holds the lock, for the message another compactor prints.
fn owner() -> String {
    format!("alarmlake compact, pid {}", std::process::id())
}

fn plan_line(plan: &PartitionPlan) -> String {
    let files: usize = plan.outputs.iter().map(|o| o.inputs.len()).sum();
    let bytes: u64 = plan
        .outputs
        .iter()
        .flat_map(|o| &o.inputs)
        .map(|c| c.bytes)
        .sum();
    format!(
        "would merge {}: {files} files ({}) into {}",
        plan.folder,
        megabytes(bytes),
        plural(plan.outputs.len(), "file"),
    )
}

fn done_line(plan: &PartitionPlan, done: &Compacted) -> String {
    format!(
        "compacted {}: {} into {} ({} → {}), {} duplicate rows removed",
        plan.folder,
        plural(done.files_in as usize, "file"),
        plural(done.files_out as usize, "file"),
        megabytes(done.bytes_in),
        megabytes(done.bytes_out),
        done.duplicates,
    )
}

fn summary(run: &CompactionRun, dry_run: bool) -> String {
    if dry_run {
        let outputs: usize = run.plans.iter().map(|p| p.outputs.len()).sum();
        let inputs: usize = run
            .plans
            .iter()
            .flat_map(|p| &p.outputs)
            .map(|o| o.inputs.len())
            .sum();
        format!(
            "dry run: would merge {} into {} in {}",
            plural(inputs, "file"),
            plural(outputs, "file"),
            plural(
                run.plans.iter().filter(|p| !p.outputs.is_empty()).count(),
                "partition"
            )
        )
    } else {
        let done = &run.done;
        format!(
            "compacted {}: {} into {} ({} → {}, {} rows), {} duplicate rows removed",
            plural(
                run.plans.iter().filter(|p| !p.outputs.is_empty()).count(),
                "partition"
            ),
            plural(done.files_in as usize, "file"),
            plural(done.files_out as usize, "file"),
            megabytes(done.bytes_in),
            megabytes(done.bytes_out),
            done.rows_out,
            done.duplicates
        )
    }
}

pub(crate) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
