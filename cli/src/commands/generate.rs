//! `alarmlake generate`: realistic panel, MODE and camera lines from simulated homes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// AlarmDecoder messages as the relay's JSON dicts.
    Json,
    /// AlarmDecoder messages as raw serial lines.
    Raw,
    /// MODE events and camera upload notifications.
    Mode,
    /// All of the above.
    Mixed,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Json => Format::Json,
            FormatArg::Raw => Format::Raw,
            FormatArg::Mode => Format::Mode,
            FormatArg::Mixed => Format::Mixed,
        }
    }
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of homes.
    #[arg(long, default_value_t = 1)]
    homes: usize,
    /// Number of days, from --start.
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// The same seed gives the same lines.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = FormatArg::Json)]
    format: FormatArg,
    /// First day, in UTC (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    start: String,
    /// Where to write; `-` is stdout.
    #[arg(long, default_value = "-")]
    out: String,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let start = DateTime::parse_from_rfc3339(&args.start)
        .with_context(|| format!("--start {:?} is not an RFC 3339 time", args.start))?
        .with_timezone(&Utc);
    let format = args.format.into();
    let config = GeneratorConfig {
        homes: args.homes,
        days: args.days,
        seed: args.seed,
        format,
        start,
    };
    let started = Instant::now();
    let lines = if args.out == "-" {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        let lines = write_all(&config, &mut out);
        finish(lines, out)?
    } else {
        let file =
            File::create(&args.out).with_context(|| format!("cannot create {}", args.out))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let lines = write_all(&config, &mut out);
        finish(lines, out)?
    };
    if let Some(lines) = lines {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "generated {lines} lines for {} homes over {} days in {seconds:.1} s",
            args.homes, args.days
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A closed pipe (`generate | head`) ends the output quietly, like other command-line tools.
fn finish(lines: io::Result<u64>, mut out: impl Write) -> Result<Option<u64>> {
    let result = lines.and_then(|n| out.flush().map(|()| n));
    match result {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(None),
        Err(e) => Err(e).context("cannot write the generated lines"),
    }
}
