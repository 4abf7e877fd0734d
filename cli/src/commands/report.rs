//! `alarmlake report`: the ready-made reports in `query/reports/`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::aws_args::AwsArgs;

use alarmlake_query::charts::{CHARTED_REPORTS, has_chart, is_svg, write_chart};
use alarmlake_query::reports::{REPORTS, ReportParams, find};
use alarmlake_query::sites::load_sites;
use alarmlake_query::{LakeSession, SessionOptions, write_batches};
use alarmlake_schemas::timezone::parse_tz;
use anyhow::{Context, Result};
use clap::Args;

use super::sql::FormatArg;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// `list`, or the name of a report.
    name: String,
    /// The lake: a folder, or s3://bucket/prefix.
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
    /// Only this site.
    #[arg(long)]
    site: Option<String>,
    /// First day (YYYY-MM-DD; local with --tz or --sites, else UTC).
    #[arg(long)]
    from: Option<String>,
    /// Last day (YYYY-MM-DD; local with --tz or --sites, else UTC).
    #[arg(long)]
    to: Option<String>,
    /// For `silent`: minutes without a heartbeat before a device counts as silent.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..))]
    minutes: u32,
    /// For `silent-panels`: hours without a periodic test or any message before a panel counts
    /// as silent.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..))]
    hours: u32,
    /// For `false-alarms` and `false-alarm-rate`: an alarm a user ends within this long of its
    /// start is likely false (90s, 5m, ...).
    #[arg(long, default_value = "5m", value_parser = crate::duration_arg::parse)]
    cancel_window: chrono::Duration,
    /// Print times in this zone (IANA name), and read --from and --to as its dates, for sites
    /// the sites file does not list.
    #[arg(long, default_value = "UTC", env = "ALARMLAKE_REPORT_TZ")]
    tz: String,
    /// A CSV or Parquet file of sites: site, time_zone, and optionally name, opens and closes
    /// (HH:MM local, for the openings report's late-to-close flag).
    #[arg(long, value_name = "FILE")]
    sites: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Also draw the report as a chart (volume, activity, alarm-timeline): FILE.png or FILE.svg.
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    /// The TrueType font for chart text (default: a system font such as DejaVu Sans).
    #[arg(long, env = "ALARMLAKE_FONT", value_name = "FILE.ttf")]
    font: Option<PathBuf>,
    /// Print the report's SQL instead of running it.
    #[arg(long)]
    show_sql: bool,
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    if args.name == "list" {
        for report in REPORTS {
            println!("{:<16} {}", report.name, report.description);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = find(&args.name)?;
    if args.chart.is_some() && !has_chart(report.name) {
        anyhow::bail!(
            "report {} has no chart (charts: {})",
            report.name,
            CHARTED_REPORTS.join(", ")
        );
    }
    if let Some(chart) = &args.chart {
        is_svg(chart)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the query runtime")?;
    runtime.block_on(async {
        let sites = match &args.sites {
            Some(path) => load_sites(path).await?,
            None => Vec::new(),
        };
        let params = ReportParams {
            site: args.site.clone(),
            from: args.from.clone(),
            to: args.to.clone(),
            minutes: args.minutes,
            hours: args.hours,
            cancel_window: u32::try_from(args.cancel_window.num_seconds())
                .context("--cancel-window is too long")?,
            tz: parse_tz(&args.tz)?,
            sites,
        };
        let sql = report.sql(&params)?;
        if args.show_sql {
            println!("{sql}");
            return Ok(ExitCode::SUCCESS);
        }
        let session = LakeSession::open(
            &args.lake,
            SessionOptions {
                s3: args.aws.load(&[&args.lake]).await?,
                ..SessionOptions::default()
            },
        )
        .await
        .with_context(|| format!("cannot open lake {}", args.lake))?;
        let started = Instant::now();
        let batches = session
            .query(&sql)
            .await
            .with_context(|| format!("report {} failed", report.name))?;
        let mut out = io::stdout().lock();
        write_batches(&batches, args.format.into(), &mut out)?;
        out.flush()?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        eprintln!(
            "{}: {rows} rows in {:.3} s",
            report.name,
            started.elapsed().as_secs_f64()
        );
        if let Some(chart) = &args.chart {
            write_chart(report.name, &batches, chart, args.font.as_deref())
                .with_context(|| format!("cannot draw {}", chart.display()))?;
            eprintln!("chart written to {}", chart.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}
