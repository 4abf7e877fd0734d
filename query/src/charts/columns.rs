//! Reading a report's result columns by name, whatever Arrow type the SQL produced (users edit
//! the SQL, so a date may come back as a string and a count as Int32).

use arrow::array::{Array, Float64Array, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::ChartError;

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, ChartError> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| ChartError::Columns(format!("no column {name:?}")))
}

/// Column `name` as display strings (nulls as empty strings).
pub fn strings(batch: &RecordBatch, name: &str) -> Result<Vec<String>, ChartError> {
    let array = column(batch, name)?;
    let formatter = ArrayFormatter::try_new(array, &FormatOptions::default())
        .map_err(|e| ChartError::Columns(e.to_string()))?;
    Ok((0..array.len())
        .map(|i| formatter.value(i).to_string())
        .collect())
}

/// Column `name` as integers; nulls are an error, since a chart cannot place them.
pub fn integers(batch: &RecordBatch, name: &str) -> Result<Vec<i64>, ChartError> {
    let array = column(batch, name)?;
    let cast = cast(array, &DataType::Int64)
        .map_err(|e| ChartError::Columns(format!("column {name:?}: {e}")))?;
    let values = cast
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| ChartError::Columns(format!("column {name:?} is not numeric")))?;
    if values.null_count() > 0 {
        return Err(ChartError::Columns(format!("column {name:?} has nulls")));
    }
    Ok(values.values().to_vec())
}

/// Column `name` as floats; nulls count as 0 (a first step has no time since the previous).
pub fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<f64>, ChartError> {
    let array = column(batch, name)?;
    let cast = cast(array, &DataType::Float64)
        .map_err(|e| ChartError::Columns(format!("column {name:?}: {e}")))?;
    let values = cast
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| ChartError::Columns(format!("column {name:?} is not numeric")))?;
    Ok((0..values.len())
        .map(|i| {
            if values.is_null(i) {
                0.0
            } else {
                values.value(i)
            }
        })
        .collect())
}
