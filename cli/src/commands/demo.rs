//! `alarmlake demo`: the main job with zero setup. Simulated homes stream their events through
//! the same decode → writer path as `ingest-file` and the consumer into a local lake, then a few
//! reports and a chart show what the lake answers. No AWS account, no emulator.
//!
//! The demo keeps to about a minute: generation and ingestion stop at `--budget` seconds, so a
//! slow (debug) build still finishes, with fewer simulated days, and says so.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alarmlake_loadtest::generator::{Fed, Format, GeneratorConfig, feed};
use alarmlake_loadtest::progress;
use alarmlake_query::charts::{is_svg, write_chart};
use alarmlake_query::reports::{ReportParams, find};
use alarmlake_query::{LakeSession, OutputFormat, SessionOptions, write_batches};
use alarmlake_schemas::{Decoder, DecoderConfig};
use alarmlake_transform::sink::{FeedError, Sink, ingest_feed};
use alarmlake_transform::{Lake, WriterConfig};
use anyhow::{Context, Result, bail};
use chrono::{Days, Utc};
use clap::Args;

use crate::commands::ingest_file::print_summary;

/// Marks a lake folder the demo made, so a second run may replace it and nothing else.
const MARKER: &str = ".alarmlake-demo";

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Homes in the simulated neighbourhood.
    #[arg(long, default_value_t = 20)]
    homes: usize,
    /// Days simulated, ending at the start of today (UTC).
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// The same seed gives the same neighbourhood.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The lake folder. It must be empty, missing, or a lake an earlier demo made.
    #[arg(long, default_value = "./lake")]
    lake: PathBuf,
    /// Where to draw the activity heat map (.png or .svg).
    #[arg(long, default_value = "./alarmlake-activity.png")]
    chart: PathBuf,
    /// The TrueType font for chart text (default: a system font such as DejaVu Sans).
    #[arg(long, env = "ALARMLAKE_FONT", value_name = "FILE.ttf")]
    font: Option<PathBuf>,
    /// Seconds to spend simulating and ingesting; the simulation stops early when they run out.
    #[arg(long, default_value_t = 40)]
    budget: u64,
    /// Never show progress bars (they are drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    is_svg(&args.chart)?;
    prepare_lake(&args.lake)?;
    let today = Utc::now().date_naive();
    let first_day = today
        .checked_sub_days(Days::new(u64::from(args.days)))
        .context("--days reaches too far back")?;
    let config = GeneratorConfig {
        homes: args.homes,
        days: args.days,
        seed: args.seed,
        format: Format::Mixed,
        start: first_day.and_time(chrono::NaiveTime::MIN).and_utc(),
    };
    println!(
        "Simulating {} homes for {} days from {first_day} (UTC): alarm panels on an \
         AlarmDecoder, MODE hubs and cameras, into {}",
        args.homes,
        args.days,
        args.lake.display()
    );
    let lake_url = args.lake.to_string_lossy().into_owned();
    let lake =
        Lake::open(&lake_url, None).with_context(|| format!("cannot open lake {lake_url}"))?;
    let decoder = Arc::new(Decoder::new(DecoderConfig::default()));
    let deadline = started + Duration::from_secs(args.budget);
    let mut simulated = Fed::default();
    let sink = Sink::new(decoder, WriterConfig::default());
    // Against the time budget, which is what bounds the wait.
    let bar = progress::bar(
        args.no_progress,
        Some(args.budget),
        "{bar:30} {elapsed} of at most {len} s: {msg}",
    );
    let summary = ingest_feed(
        &lake,
        sink,
        |push| {
            simulated = feed(&config, deadline, push)?;
            Ok::<(), FeedError>(())
        },
        |summary| {
            bar.set_position(started.elapsed().as_secs());
            bar.set_message(format!(
                "{} records, {} events",
                summary.records, summary.tally.events
            ));
        },
    )?;
    bar.finish_and_clear();
    let ingested_in = started.elapsed();
    print_summary(&summary, lake.location(), ingested_in);
    if let Some(at) = simulated.stopped_at {
        println!(
            "The {} s budget ran out at simulated time {}: the lake holds {} lines of the \
             neighbourhood so far. A release build (cargo run --release -- demo) gets further.",
            args.budget,
            at.format("%Y-%m-%d %H:%M"),
            simulated.lines
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the query runtime")?;
    runtime.block_on(show_reports(&args, &lake_url, today))?;
    let lake = args.lake.display();
    let next = [
        (
            format!("alarmlake sql --lake {lake}"),
            "a SQL shell; \\d lists the tables",
        ),
        (
            "alarmlake report list".to_string(),
            "the ready-made reports",
        ),
        (
            format!("alarmlake report arming --lake {lake} --site home-0002"),
            "one home's arm/disarm timeline",
        ),
        (
            format!("alarmlake report false-alarms --lake {lake} --tz America/New_York"),
            "alarms cancelled within 5 minutes, in local time",
        ),
        (
            format!("alarmlake report volume --lake {lake} --chart volume.svg"),
            "a report as a chart",
        ),
        (
            "alarmlake athena-ddl --lake s3://bucket/prefix".to_string(),
            "the same lake from Athena",
        ),
        (
            format!("alarmlake ingest-file --lake {lake} FILE.ndjson"),
            "your own AlarmDecoder or MODE lines",
        ),
    ];
    println!(
        "\nDone in {:.1} s. Next, try:",
        started.elapsed().as_secs_f64()
    );
    let width = next.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (command, what) in next {
        println!("  {command:<width$}   # {what}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses to touch a folder with data the demo did not write; clears one it did.
fn prepare_lake(lake: &Path) -> Result<()> {
    if lake.exists() {
        let has_entries = std::fs::read_dir(lake)
            .with_context(|| format!("cannot read {}", lake.display()))?
            .next()
            .is_some();
        if has_entries {
            if !lake.join(MARKER).is_file() {
                bail!(
                    "{} already holds data the demo did not write; choose another folder with --lake",
                    lake.display()
                );
            }
            std::fs::remove_dir_all(lake).with_context(|| {
                format!("cannot clear the earlier demo lake {}", lake.display())
            })?;
        }
    }
    std::fs::create_dir_all(lake).with_context(|| format!("cannot create {}", lake.display()))?;
    std::fs::write(
        lake.join(MARKER),
        "made by `alarmlake demo`; the next demo run replaces this folder\n",
    )
    .with_context(|| format!("cannot write in {}", lake.display()))?;
    Ok(())
}

/// A few questions answered from the new lake, and the activity chart.
async fn show_reports(args: &DemoArgs, lake: &str, today: chrono::NaiveDate) -> Result<()> {
    let session = LakeSession::open(lake, SessionOptions::default())
        .await
        .with_context(|| format!("cannot open lake {lake}"))?;
    let last_day = today.pred_opt().unwrap_or(today).to_string();

    let volume = find("volume")?.sql(&ReportParams::default())?;
    let daily = format!(
        "SELECT date, \
           sum(CASE WHEN \"table\" = 'alarm_events' THEN events ELSE 0 END) AS alarm_events, \
           sum(CASE WHEN \"table\" = 'mode_events' THEN events ELSE 0 END) AS mode_events, \
           sum(CASE WHEN \"table\" = 'camera_media' THEN events ELSE 0 END) AS camera_media, \
           sum(CASE WHEN \"table\" = 'dead_letters' THEN events ELSE 0 END) AS dead_letters \
         FROM ({}) AS volume GROUP BY date ORDER BY date",
        volume.trim().trim_end_matches(';')
    );
    show(&session, "Events per day (alarmlake report volume)", &daily).await?;

    let arming = find("arming")?.sql(&ReportParams {
        site: Some("home-0001".into()),
        from: Some(last_day.clone()),
        to: Some(last_day.clone()),
        ..Default::default()
    })?;
    show(
        &session,
        &format!(
            "Arming and disarming at home-0001 on {last_day} \
             (alarmlake report arming --site home-0001 --from {last_day} --to {last_day})"
        ),
        &arming,
    )
    .await?;
    let alarms = find("alarms")?.sql(&ReportParams::default())?;
    show(&session, "Alarms (alarmlake report alarms)", &alarms).await?;
    let silent = find("silent")?.sql(&ReportParams::default())?;
    show(
        &session,
        "Devices silent for over 15 minutes (alarmlake report silent)",
        &silent,
    )
    .await?;

    let activity = find("activity")?.sql(&ReportParams::default())?;
    let batches = session.query(&activity).await?;
    match write_chart("activity", &batches, &args.chart, args.font.as_deref()) {
        Ok(()) => println!(
            "\nChart: activity by day of week and hour of day in {}",
            args.chart.display()
        ),
        // The reports above stand on their own; a missing font should not fail the demo.
        Err(error) => println!("\nNo chart drawn: {error}"),
    }
    Ok(())
}

async fn show(session: &LakeSession, title: &str, sql: &str) -> Result<()> {
    let started = Instant::now();
    let batches = session
        .query(sql)
        .await
        .with_context(|| format!("{title}: query failed"))?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    println!("\n{title}");
    let mut out = io::stdout().lock();
    if rows == 0 {
        writeln!(out, "(none)")?;
    } else {
        write_batches(&batches, OutputFormat::Table, &mut out)?;
    }
    writeln!(
        out,
        "{rows} rows in {:.3} s",
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
