//! `alarmlake retain`: removes the partitions older than a window from their tables (one Delta
//! commit per table), or lists them (`--dry-run`). Vacuum deletes their files later.

use std::process::ExitCode;

use alarmlake_schemas::Table;
use alarmlake_transform::Lake;
use alarmlake_transform::maintenance;
use alarmlake_transform::retention::ExpiredPartition;
use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use clap::Args;

use super::compact::megabytes;
use crate::aws_args::AwsArgs;
use crate::{duration_arg, table_arg};

#[derive(Args, Debug)]
pub struct RetainArgs {
    /// The lake: a folder, or s3://bucket/prefix (AWS: --profile, --region, the standard chain).
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
    /// How much history to keep, by event time: 30d, 12h, 2w (at least 1h).
    #[arg(long, value_parser = duration_arg::parse)]
    keep: Duration,
    /// Only this table [default: every table].
    #[arg(long, value_parser = table_arg::parse)]
    table: Option<Table>,
    /// List what would be deleted, and delete nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: RetainArgs) -> Result<ExitCode> {
    let s3 = args.aws.load_blocking(&[&args.lake])?;
    let lake = Lake::open(&args.lake, Some(&s3))
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let tables: Vec<Table> = match args.table {
        Some(table) => vec![table],
        None => Table::ALL.to_vec(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let now = Utc::now();
    let cutoff = now - args.keep;
    let expired = runtime
        .block_on(maintenance::retain_lake(
            &lake,
            &tables,
            args.keep,
            now,
            args.dry_run,
        ))
        .context("retention failed; nothing was removed from the table it names")?;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for partition in &expired {
        println!(
            "{verb} {}/{}: {} files, {}",
            partition.table.name(),
            partition.partition,
            partition.files.len(),
            megabytes(partition.bytes)
        );
    }
    println!("{}", summary(&expired, args.dry_run, cutoff));
    Ok(ExitCode::SUCCESS)
}

fn summary(expired: &[ExpiredPartition], dry_run: bool, cutoff: chrono::DateTime<Utc>) -> String {
    let files: usize = expired.iter().map(|p| p.files.len()).sum();
    let bytes: u64 = expired.iter().map(|p| p.bytes).sum();
    let verb = if dry_run { "would remove" } else { "removed" };
    format!(
        "{verb} {} partitions ({files} files, {}) with events before {}; `alarmlake vacuum` \
         deletes their files once no snapshot of its window needs them",
        expired.len(),
        megabytes(bytes),
        cutoff.format("%Y-%m-%d %H:%M UTC")
    )
}
