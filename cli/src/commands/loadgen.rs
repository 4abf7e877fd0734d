//! `alarmlake loadgen`: flags for [`alarmlake_loadtest::loadgen`], which puts the generator's
//! events into a Kinesis stream at a target rate.

use std::path::PathBuf;
use std::process::ExitCode;

use alarmlake_loadtest::loadgen::{self, LoadgenOptions, ShardLimitsMode};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use super::generate::FormatArg;
use crate::duration_arg;

#[derive(Args, Debug)]
pub struct LoadgenArgs {
    /// The stream to write to.
    #[arg(long, env = "ALARMLAKE_STREAM")]
    stream: String,
    /// Create the stream first, with --shards shards.
    #[arg(long)]
    create: bool,
    #[arg(long, default_value_t = 4)]
    shards: i32,
    /// Simulated homes.
    #[arg(long, default_value_t = 10)]
    homes: usize,
    /// Events per second to send (open loop) [default: as fast as the stream takes them].
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this long: 30s, 5m.
    #[arg(long, value_parser = duration_arg::parse)]
    duration: Option<chrono::Duration>,
    /// Stop after this many events [default: 100000, unless --duration is given].
    #[arg(long)]
    count: Option<u64>,
    #[arg(long, value_enum, default_value_t = FormatArg::Mixed)]
    format: FormatArg,
    /// Pack the events into KPL aggregated records, as the Kinesis Producer Library does.
    #[arg(long)]
    kpl_aggregate: bool,
    /// Also put a MODE bulk-data record (a MessagePack envelope of a sensor sample) after every
    /// N events [default: 0, none]. The consumer stores them with `--bulk unrecognized`.
    #[arg(long, default_value_t = 0)]
    bulk_every: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First simulated day, in UTC (RFC 3339) [default: 30 days ago].
    #[arg(long)]
    start: Option<String>,
    /// Days the simulation may cover (it stops earlier at --count or --duration).
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Keep to each shard's write limits (1,000 records and 1 MiB per second): `auto` does on
    /// AWS and not against an endpoint (emulators do not enforce them).
    #[arg(long, value_enum, default_value_t = ShardLimitsArg::Auto)]
    shard_limits: ShardLimitsArg,
    /// PutRecords calls in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Write the manifest (per-shard counts and sequence ranges) here, and every record's
    /// position next to it (`<file>.positions.csv`).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
    #[arg(long, env = "AWS_REGION")]
    region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShardLimitsArg {
    Auto,
    On,
    Off,
}

pub fn run(args: LoadgenArgs) -> Result<ExitCode> {
    let start = args
        .start
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .with_context(|| format!("--start {text:?} is not an RFC 3339 time"))
                .map(|t| t.with_timezone(&Utc))
        })
        .transpose()?;
    loadgen::run(LoadgenOptions {
        stream: args.stream,
        create: args.create,
        shards: args.shards,
        homes: args.homes,
        rate: args.rate,
        duration: args.duration,
        count: args.count,
        format: args.format.into(),
        kpl_aggregate: args.kpl_aggregate,
        bulk_every: args.bulk_every,
        seed: args.seed,
        start,
        days: args.days,
        shard_limits: match args.shard_limits {
            ShardLimitsArg::Auto => ShardLimitsMode::Auto,
            ShardLimitsArg::On => ShardLimitsMode::On,
            ShardLimitsArg::Off => ShardLimitsMode::Off,
        },
        concurrency: args.concurrency,
        manifest: args.manifest,
        no_progress: args.no_progress,
        endpoint_url: args.endpoint_url,
        region: args.region,
    })?;
    Ok(ExitCode::SUCCESS)
}
