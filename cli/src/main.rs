//! `alarmlake`: the one binary. Each subcommand lives in its own module under `commands/`.

mod allocator;
mod aws_args;
mod commands;
mod decoder_args;
mod duration_arg;
mod logging;
mod size_arg;
mod table_arg;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "alarmlake",
    version,
    about = "Alarm panel and IoT events into a Parquet lake you can query"
)]
struct Cli {
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "ALARMLAKE_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a neighbourhood of homes into ./lake and show what the lake answers (no setup).
    Demo(commands::demo::DemoArgs),
    /// Read a Kinesis stream into the lake, exactly once, until stopped (Ctrl-C, SIGTERM).
    Consume(Box<commands::consume::ConsumeArgs>),
    /// Decode records (one per line) and print what the pipeline makes of them.
    Decode(commands::decode::DecodeArgs),
    /// Write realistic lines from simulated homes (panels, MODE devices, cameras).
    Generate(commands::generate::GenerateArgs),
    /// Decode files (or stdin) and write them into the lake as Parquet.
    IngestFile(commands::ingest_file::IngestFileArgs),
    /// Put the generator's events into a Kinesis stream (load testing).
    Loadgen(commands::loadgen::LoadgenArgs),
    /// Query the lake with SQL: -c, -f, or an interactive shell.
    Sql(commands::sql::SqlArgs),
    /// Ready-made reports over the lake (`alarmlake report list`).
    Report(commands::report::ReportArgs),
    /// Print CREATE EXTERNAL TABLE statements for Athena over an S3 lake.
    AthenaDdl(commands::athena_ddl::AthenaDdlArgs),
    /// Remove the partitions older than a window (`--keep 30d`), or list them (`--dry-run`).
    Retain(commands::retain::RetainArgs),
    /// Merge the small files of closed partitions into bigger ones, removing duplicate rows.
    Compact(commands::compact::CompactArgs),
    /// The lake's Delta tables: convert an earlier lake, vacuum unneeded files, history.
    Lake(commands::lake::LakeArgs),
    /// Benchmark the whole pipeline against LocalStack, the emulators or AWS, with a report.
    Bench(Box<commands::bench::BenchArgs>),
}

fn main() -> ExitCode {
    allocator::tune();
    let cli = Cli::parse();
    logging::init(cli.log_json);
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Consume(args) => commands::consume::run(*args),
        Command::Decode(args) => commands::decode::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::IngestFile(args) => commands::ingest_file::run(args),
        Command::Loadgen(args) => commands::loadgen::run(args),
        Command::Sql(args) => commands::sql::run(args),
        Command::AthenaDdl(args) => commands::athena_ddl::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Retain(args) => commands::retain::run(args),
        Command::Compact(args) => commands::compact::run(args),
        Command::Lake(args) => commands::lake::run(args),
        Command::Bench(args) => commands::bench::run(*args),
    };
    allocator::before_exit();
    match result {
        Ok(code) => code,
        // `alarmlake decode ... | head`: the reader left, which is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable line, with its causes; no backtrace.
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: &str = include_str!("../../packaging/alarmlake.service");

    fn setting<'u>(key: &str) -> Vec<&'u str> {
        UNIT.lines()
            .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .collect()
    }

    /// The unit starts a command line this binary accepts, with the example config's path.
    #[test]
    fn the_systemd_unit_runs_a_valid_command() {
        let exec = setting("ExecStart");
        assert_eq!(exec.len(), 1, "one ExecStart");
        let words: Vec<&str> = exec[0].split_whitespace().collect();
        assert!(words[0].ends_with("/alarmlake"));
        let cli = Cli::try_parse_from(&words).expect("the unit's command line parses");
        assert!(matches!(cli.command, Command::Consume(_)));
        assert!(cli.log_json);
        assert!(words.contains(&"/etc/alarmlake/alarmlake.toml"));
    }

    /// Graceful stop, restarts and the hardening the README promises.
    #[test]
    fn the_systemd_unit_is_hardened_and_stops_gracefully() {
        for (key, value) in [
            ("KillSignal", "SIGTERM"),
            ("Restart", "on-failure"),
            ("DynamicUser", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("NoNewPrivileges", "yes"),
            ("PrivateTmp", "yes"),
            ("CapabilityBoundingSet", ""),
        ] {
            assert_eq!(setting(key), vec![value], "{key}");
        }
        // Long enough for the consumer's flush and commit on SIGTERM.
        let stop: Vec<&str> = setting("TimeoutStopSec");
        assert!(stop[0].parse::<u64>().unwrap() >= 60);
    }
}
