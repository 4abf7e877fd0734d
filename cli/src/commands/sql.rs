//! `alarmlake sql`: ad-hoc SQL over the lake, as a one-shot command, a script, or a shell.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use crate::aws_args::AwsArgs;

use alarmlake_query::repl::{self, one_line};
use alarmlake_query::{AsOf, LakeSession, OutputFormat, SessionOptions, statements, write_batches};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
    Ndjson,
}

#[derive(Args, Debug)]
pub struct SqlArgs {
    /// The lake: a folder, or s3://bucket/prefix (AWS: --profile, --region, the standard chain).
    #[arg(long, default_value = "./lake", env = "ALARMLAKE_LAKE")]
    lake: String,
    #[command(flatten)]
    aws: AwsArgs,
    /// Run these statements and exit (they may start with a `--` comment).
    #[arg(
        short = 'c',
        long = "command",
        conflicts_with = "file",
        allow_hyphen_values = true
    )]
    command: Option<String>,
    /// Run the statements in this file and exit.
    #[arg(short = 'f', long = "file")]
    file: Option<String>,
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Write results to this file instead of stdout.
    #[arg(long)]
    output: Option<String>,
    /// Permit statements that create, insert, copy or delete.
    #[arg(long)]
    allow_writes: bool,
    /// Read the tables as they were: a version number, or a time (2026-12-05T10:00:00Z).
    #[arg(long, value_parser = AsOf::parse)]
    as_of: Option<AsOf>,
}

impl From<FormatArg> for OutputFormat {
    fn from(format: FormatArg) -> OutputFormat {
        match format {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Ndjson => OutputFormat::Ndjson,
        }
    }
}

pub fn run(args: SqlArgs) -> Result<ExitCode> {
    let format = OutputFormat::from(args.format);
    let script = match (&args.command, &args.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(path)) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?)
        }
        (None, None) => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the query runtime")?;
    runtime.block_on(async {
        let options = SessionOptions {
            s3: args.aws.load(&[&args.lake]).await?,
            allow_writes: args.allow_writes,
            as_of: args.as_of.clone().unwrap_or_default(),
        };
        let session = LakeSession::open(&args.lake, options)
            .await
            .with_context(|| format!("cannot open lake {}", args.lake))?;
        let Some(script) = script else {
            repl::run(&session, format).await?;
            return Ok(ExitCode::SUCCESS);
        };
        let mut out: Box<dyn Write> = match &args.output {
            Some(path) => Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {path}"))?,
            )),
            None => Box::new(BufWriter::new(io::stdout().lock())),
        };
        let list = match statements(&script) {
            Ok(list) => list,
            Err(e) => {
                eprintln!("error: {}", one_line(&e.to_string()));
                return Ok(ExitCode::from(1));
            }
        };
        for statement in list {
            let started = Instant::now();
            match session.query(&statement).await {
                Ok(batches) => {
                    write_batches(&batches, format, &mut out)?;
                    out.flush()?;
                    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                    eprintln!("{rows} rows in {:.3} s", started.elapsed().as_secs_f64());
                }
                Err(e) => {
                    eprintln!("error: {}", one_line(&e.to_string()));
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
