//! `alarmlake bench`: flags for [`alarmlake_loadtest::bench`], the whole benchmark in one
//! command against LocalStack, the emulators or AWS. Exit code 1 when the lake fails the
//! exactly-once check.

use std::path::PathBuf;
use std::process::ExitCode;

use alarmlake_loadtest::bench::{self, BenchOptions, Target};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::duration_arg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetArg {
    /// LocalStack on 127.0.0.1:4566 (scripts/bench-localstack.sh starts it).
    Localstack,
    /// kinesis-mock on 127.0.0.1:4568 and moto on 127.0.0.1:5055 (scripts/emulators.sh).
    Emulators,
    /// Real AWS: credentials and region from the usual places; give --lake s3://bucket/prefix.
    Aws,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, value_enum)]
    target: TargetArg,
    /// One endpoint for Kinesis and S3 [default: the target's].
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    #[arg(long)]
    kinesis_endpoint: Option<String>,
    #[arg(long)]
    s3_endpoint: Option<String>,
    #[arg(long, default_value_t = 2)]
    shards: i32,
    /// Events per second the load generator puts.
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// How long the load runs: 30s, 2m.
    #[arg(long, default_value = "30s", value_parser = duration_arg::parse)]
    duration: chrono::Duration,
    #[arg(long, default_value_t = 20)]
    homes: usize,
    /// Put the events as KPL aggregates.
    #[arg(long)]
    kpl_aggregate: bool,
    /// Also put a MODE bulk-data record after every N events (stored in bulk_records).
    #[arg(long, default_value_t = 0)]
    bulk_every: u64,
    /// Seconds the consumer buffers before it writes (sets the put-to-queryable latency).
    #[arg(long, default_value_t = 5)]
    flush_secs: u64,
    /// Where the report goes [default: bench-results/<time>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The stream [default: alarmlake-bench-<time>; reused if it exists].
    #[arg(long)]
    stream: Option<String>,
    /// The lake [default: s3://alarmlake-bench/<time> on the target's S3, created if needed].
    #[arg(long)]
    lake: Option<String>,
    /// A Python with duckdb, boto3 and pyarrow (benches/requirements.txt), for the DuckDB
    /// checks, the queries and the baseline; without it those steps are skipped.
    #[arg(long, env = "ALARMLAKE_BENCH_PYTHON")]
    python: Option<String>,
    /// A Python with DuckDB and its delta extension, for the lake check [default: --python].
    #[arg(long, env = "ALARMLAKE_CHECK_PYTHON")]
    check_python: Option<String>,
    /// Skip the Python baseline consumer.
    #[arg(long)]
    no_baseline: bool,
    /// Skip the backlog read (P3, P6).
    #[arg(long)]
    no_backlog: bool,
    /// Skip the six queries.
    #[arg(long)]
    no_queries: bool,
    /// Only check an earlier run's lake copy (<out>/lake) against its manifest again.
    #[arg(long)]
    verify_only: bool,
    /// Never show progress bars (they are drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// The consumers read with enhanced fan-out as this stream consumer (see `consume --efo`).
    #[arg(long, value_name = "NAME")]
    efo: Option<String>,
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let passed = bench::run(BenchOptions {
        target: match args.target {
            TargetArg::Localstack => Target::Localstack,
            TargetArg::Emulators => Target::Emulators,
            TargetArg::Aws => Target::Aws,
        },
        endpoint_url: args.endpoint_url,
        kinesis_endpoint: args.kinesis_endpoint,
        s3_endpoint: args.s3_endpoint,
        shards: args.shards,
        rate: args.rate,
        duration: args.duration,
        homes: args.homes,
        kpl_aggregate: args.kpl_aggregate,
        bulk_every: args.bulk_every,
        flush_secs: args.flush_secs,
        out: args.out,
        stream: args.stream,
        lake: args.lake,
        python: args.python,
        check_python: args.check_python,
        no_baseline: args.no_baseline,
        no_backlog: args.no_backlog,
        no_progress: args.no_progress,
        no_queries: args.no_queries,
        verify_only: args.verify_only,
        binary: std::env::current_exe().context("cannot find this program's own path")?,
        efo: args.efo,
    })?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
