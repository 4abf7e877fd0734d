//! Merging the files of one output: read them, bring older schema versions up to the current
//! one, drop rows whose stream position was already seen, and encode the result the way the
//! writer does (sorted by site and event time, with its positions in the metadata).

use std::collections::HashSet;

use alarmlake_schemas::Table;
use arrow::array::{ArrayRef, BooleanArray, RecordBatch, new_null_array};
use arrow::compute::{cast, concat_batches, filter_record_batch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use object_store::ObjectStoreExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::CompactionError;
use super::inspect::Candidate;
use crate::lake::Lake;

/// The columns that make a row's identity: where it was read from.
const POSITION_COLUMNS: [&str; 5] = [
    "stream",
    "shard_id",
    "sequence_number",
    "sub_sequence_number",
    "event_index",
];

/// The rows of `inputs`, in the current schema of `table`, each stream position once.
/// Returns the merged batch and the number of duplicate rows dropped.
pub(crate) async fn merge(
    lake: &Lake,
    table: Table,
    inputs: &[&Candidate],
) -> Result<(RecordBatch, u64), CompactionError> {
    let schema = table.schema();
    let mut batches = Vec::new();
    for input in inputs {
        // Inputs are small files by choice; each is read whole and decoded in memory.
        let bytes = lake
            .store()
            .get(&lake.path(&input.path)?)
            .await?
            .bytes()
            .await?;
        for batch in ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()? {
            batches.push(adapt(&batch?, &schema)?);
        }
    }
    let merged = concat_batches(&schema, &batches)?;
    dedupe(&merged)
}

/// `batch` in `schema`: columns by name, cast where a type widened, and all-null columns for
/// the ones an older version did not have.
pub(crate) fn adapt(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, CompactionError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(column.clone()),
            Some(column) => cast(column, field.data_type()).map_err(|e| {
                CompactionError::Schema(format!(
                    "column {} cannot become {}: {e}",
                    field.name(),
                    field.data_type()
                ))
            }),
            None if field.is_nullable() => Ok(new_null_array(field.data_type(), batch.num_rows())),
            None => Err(CompactionError::Schema(format!(
                "required column {} is missing",
                field.name()
            ))),
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Keeps the first row of each stream position.
pub(crate) fn dedupe(batch: &RecordBatch) -> Result<(RecordBatch, u64), CompactionError> {
    let columns = POSITION_COLUMNS
        .iter()
        .map(|name| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| CompactionError::Schema(format!("no {name} column")))
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let fields = columns
        .iter()
        .map(|c| SortField::new(c.data_type().clone()))
        .collect();
    let rows = RowConverter::new(fields)?.convert_columns(&columns)?;
    let mut seen = HashSet::with_capacity(batch.num_rows());
    let keep: BooleanArray = rows.iter().map(|row| Some(seen.insert(row))).collect();
    let duplicates = (batch.num_rows() - seen.len()) as u64;
    if duplicates == 0 {
        return Ok((batch.clone(), 0));
    }
    Ok((filter_record_batch(batch, &keep)?, duplicates))
}
