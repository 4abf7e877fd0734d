//! `alarmlake decode`: what the pipeline will make of a panel's output, record by record.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use alarmlake_schemas::{Decoder, LakeBatches, Outcome, Table, Tally};
use anyhow::{Context, Result};
use arrow::array::{Array, RecordBatch};
use arrow::datatypes::Schema;
use chrono::Utc;
use clap::{Args, ValueEnum};

use crate::decoder_args::DecoderArgs;
use alarmlake_ingest::for_each_record;
use alarmlake_schemas::outcome_json;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// One JSON object per event or rejection.
    Json,
    /// A table per lake table, with the columns the events fill.
    Table,
}

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// Files to read, one record per line; `-` (the default) reads stdin.
    #[arg(default_value = "-")]
    inputs: Vec<String>,
    #[command(flatten)]
    decoder: DecoderArgs,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Read each file as one record instead of one record per line (pretty-printed JSON).
    #[arg(long)]
    whole_file: bool,
    /// Exit with status 1 when any record is rejected.
    #[arg(long)]
    strict: bool,
}

pub fn run(args: DecodeArgs) -> Result<ExitCode> {
    let decoder = Decoder::new(args.decoder.config()?);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    let mut records = 0u64;
    let mut per_table: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut batches = LakeBatches::new(Utc::now());
    let mut outcomes = Vec::new();
    for input in &args.inputs {
        for_each_record(input, args.whole_file, |record| -> Result<()> {
            records += 1;
            outcomes.clear();
            decoder.decode_into(&record, &mut outcomes);
            for outcome in &outcomes {
                tally.add(outcome);
                match outcome {
                    Outcome::Event(e) => *per_table.entry(e.body.table().name()).or_default() += 1,
                    Outcome::Rejected { .. } => {
                        *per_table.entry(Table::DeadLetters.name()).or_default() += 1
                    }
                    Outcome::Chatter { .. } => {}
                }
                match args.format {
                    Format::Json => {
                        if let Some(value) = outcome_json::render(&record.position, outcome) {
                            serde_json::to_writer(&mut out, &value)?;
                            out.write_all(b"\n")?;
                        }
                    }
                    Format::Table => batches.append(&record.position, outcome),
                }
            }
            Ok(())
        })?;
    }
    if let Format::Table = args.format {
        for (table, batch) in batches.finish()? {
            writeln!(out, "{table} ({} rows)", batch.num_rows())?;
            writeln!(
                out,
                "{}",
                arrow::util::pretty::pretty_format_batches(&[readable(&batch)?])?
            )?;
        }
    }
    out.flush().context("cannot write to stdout")?;
    let tables: Vec<String> = per_table.iter().map(|(t, n)| format!("{t} {n}")).collect();
    eprintln!(
        "decoded {records} records: {} events, {} rejected, {} chatter ({})",
        tally.events,
        tally.rejected,
        tally.chatter,
        if tables.is_empty() {
            "nothing".to_string()
        } else {
            tables.join(", ")
        }
    );
    Ok(if args.strict && tally.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Keeps the columns a reader wants on a terminal: the site, time and line, then every column
/// the events filled. The lake keeps them all.
fn readable(batch: &RecordBatch) -> Result<RecordBatch> {
    const HIDDEN: [&str; 7] = [
        "arrival_time",
        "ingest_time",
        "stream",
        "sub_sequence_number",
        "event_index",
        "partition_key",
        "panel_data",
    ];
    let schema = batch.schema();
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| {
            let name = schema.field(i).name().as_str();
            !HIDDEN.contains(&name) && batch.column(i).null_count() < batch.num_rows()
        })
        .collect();
    let fields: Vec<_> = keep.iter().map(|&i| schema.field(i).clone()).collect();
    let columns = keep.iter().map(|&i| batch.column(i).clone()).collect();
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
