//! Reading the benchmark lake's rows back from its Parquet files, for the checks and the
//! latency: only the position, arrival, site and event time columns are decoded.

use std::path::Path;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{TimestampMicrosecondType, UInt32Type, UInt64Type};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// One row's position and arrival time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Row {
    pub stream: String,
    pub shard_id: String,
    pub sequence_number: String,
    pub sub_sequence_number: u64,
    pub event_index: u32,
    /// Microseconds since the epoch.
    pub arrival_micros: i64,
    /// The event's site and time (microseconds), where its table has them: with the position
    /// they tell a record the producer put twice from its first copy.
    pub site: Option<String>,
    pub event_micros: Option<i64>,
}

const COLUMNS: [&str; 8] = [
    "stream",
    "shard_id",
    "sequence_number",
    "sub_sequence_number",
    "event_index",
    "arrival_time",
    "site",
    "event_time",
];

/// Every row of one Parquet file.
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let schema = builder.parquet_schema();
    let indices: Vec<usize> = schema
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| COLUMNS.contains(&c.name()))
        .map(|(i, _)| i)
        .collect();
    let mask = ProjectionMask::leaves(schema, indices);
    let mut rows = Vec::new();
    for batch in builder.with_projection(mask).build()? {
        let batch = batch?;
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>().cloned())
                .with_context(|| format!("{} has no {name} column", path.display()))
        };
        let (stream, shard, sequence) =
            (text("stream")?, text("shard_id")?, text("sequence_number")?);
        let sub = batch
            .column_by_name("sub_sequence_number")
            .and_then(|c| c.as_primitive_opt::<UInt64Type>().cloned())
            .context("no sub_sequence_number column")?;
        let index = batch
            .column_by_name("event_index")
            .and_then(|c| c.as_primitive_opt::<UInt32Type>().cloned())
            .context("no event_index column")?;
        let arrival = batch
            .column_by_name("arrival_time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>().cloned())
            .context("no arrival_time column")?;
        // Dead letters have neither.
        let site = batch
            .column_by_name("site")
            .and_then(|c| c.as_string_opt::<i32>().cloned());
        let event_time = batch
            .column_by_name("event_time")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>().cloned());
        for i in 0..batch.num_rows() {
            rows.push(Row {
                stream: stream.value(i).to_string(),
                shard_id: shard.value(i).to_string(),
                sequence_number: sequence.value(i).to_string(),
                sub_sequence_number: if sub.is_null(i) { 0 } else { sub.value(i) },
                event_index: if index.is_null(i) { 0 } else { index.value(i) },
                arrival_micros: arrival.value(i),
                site: site
                    .as_ref()
                    .filter(|c| c.is_valid(i))
                    .map(|c| c.value(i).to_string()),
                event_micros: event_time
                    .as_ref()
                    .filter(|c| c.is_valid(i))
                    .map(|c| c.value(i)),
            });
        }
    }
    Ok(rows)
}
