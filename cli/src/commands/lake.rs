//! `alarmlake lake`: the lake's tables as Delta tables: `convert` an earlier alarmlake's lake in
//! place, `vacuum` the files no snapshot needs, and show a table's `history`.

use std::process::ExitCode;

use alarmlake_schemas::Table;
use alarmlake_transform::Lake;
use alarmlake_transform::delta::TableLog;
use alarmlake_transform::maintenance::{self, VACUUM_RETAIN};
use anyhow::{Context, Result};
use chrono::Duration;
use clap::{Args, Subcommand};

use super::compact::plural;
use crate::aws_args::AwsArgs;
use crate::{duration_arg, table_arg};

#[derive(Args, Debug)]
pub struct LakeArgs {
    #[command(subcommand)]
    command: LakeCommand,
    /// The lake: a folder, or s3://bucket/prefix (AWS: --profile, --region, the standard chain).
    #[arg(long, global = true, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
    /// Only this table [default: every table].
    #[arg(long, global = true, value_parser = table_arg::parse)]
    table: Option<Table>,
    /// Consumers' checkpoints, if they were given --checkpoints; the lake's own
    /// _alarmlake/checkpoints is always read.
    #[arg(long, global = true, env = "ALARMLAKE_CHECKPOINTS")]
    checkpoints: Option<String>,
}

#[derive(Subcommand, Debug)]
enum LakeCommand {
    /// Make the table folders of a lake written by an earlier alarmlake (plain Hive Parquet)
    /// Delta tables, in place: every data file is registered in one first commit.
    Convert,
    /// Delete the files that no snapshot of the window needs: removed by compaction or
    /// retention, or never committed (an interrupted flush or compaction).
    Vacuum {
        /// Keep every file a snapshot of this window references: 7d, 24h (at least 1h).
        #[arg(long, default_value = "7d", value_parser = duration_arg::parse)]
        retain: Duration,
        /// List what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// A table's commits, newest first: version, time, operation and what it changed.
    History {
        /// How many commits.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

pub fn run(args: LakeArgs) -> Result<ExitCode> {
    let locations = [Some(args.lake.as_str()), args.checkpoints.as_deref()];
    let s3 = args
        .aws
        .load_blocking(&locations.into_iter().flatten().collect::<Vec<_>>())?;
    let lake = Lake::open(&args.lake, Some(&s3))
        .with_context(|| format!("cannot open lake {}", args.lake))?;
    let tables: Vec<Table> = args.table.map_or_else(|| Table::ALL.to_vec(), |t| vec![t]);
    let checkpoints =
        maintenance::checkpoint_locations(&lake, args.checkpoints.as_deref(), Some(&s3))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match args.command {
            LakeCommand::Convert => {
                let done = maintenance::convert_lake(&lake, &tables, &checkpoints).await?;
                for (table, converted) in done {
                    println!("{}: {converted}", table.name());
                }
            }
            LakeCommand::Vacuum { retain, dry_run } => {
                let done =
                    maintenance::vacuum_lake(&lake, &tables, retain, &checkpoints, dry_run).await?;
                let verb = if dry_run { "would delete" } else { "deleted" };
                for vacuumed in &done {
                    for path in &vacuumed.deleted {
                        println!("{verb} {path}");
                    }
                }
                let files: usize = done.iter().map(|v| v.deleted.len()).sum();
                let kept: usize = done.iter().map(|v| v.kept_for_intents).sum();
                println!(
                    "{verb} {} that no snapshot of the last {} h needs; kept {kept} of \
                     consumers' pending flushes",
                    plural(files, "file"),
                    retain.num_hours(),
                );
                if retain < VACUUM_RETAIN {
                    eprintln!(
                        "note: readers that started a query before the window began may fail \
                         to find a file"
                    );
                }
            }
            LakeCommand::History { limit } => {
                for table in tables {
                    let Some(mut log) = TableLog::open(&lake, table).await? else {
                        println!("{}: not a Delta table", table.name());
                        continue;
                    };
                    for line in log.history(limit).await? {
                        println!("{}: {line}", table.name());
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
