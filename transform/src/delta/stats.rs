//! A file's Delta statistics (`numRecords`, `minValues`, `maxValues`, `nullCount`), read from
//! the Parquet footer the encoder has just produced, so that Delta readers (alarmlake itself,
//! Spark, Athena, DuckDB) can skip files without opening them.
//!
//! *Why from the footer:* the Parquet writer has already computed every column chunk's minimum,
//! maximum and null count while encoding; folding them costs a few comparisons per row group,
//! where recomputing from the batch would cost a pass over every value.
//!
//! Every value written is a safe bound: a reader that prunes with it never skips a file that
//! holds a matching row.
//! - Timestamps: Delta statistics carry milliseconds, so the minimum is rounded down and the
//!   maximum up (writers that truncate both make a maximum smaller than the real one).
//! - Text: only exact values of at most [`MAX_TEXT_BYTES`] bytes; a truncated maximum would be
//!   smaller than the real one, so a longer value is left out rather than cut.
//! - Binary columns get null counts only: no reader prunes on their byte order.

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::DateTime;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use serde_json::{Map, Value};

/// The longest text kept as a minimum or maximum.
pub const MAX_TEXT_BYTES: usize = 64;

/// The statistics JSON of a file with `schema` (the Arrow schema it was written with) and
/// `metadata` (its footer).
pub fn file_stats(schema: &Schema, metadata: &ParquetMetaData) -> String {
    let mut min_values = Map::new();
    let mut max_values = Map::new();
    let mut null_count = Map::new();
    let columns = metadata.file_metadata().schema_descr();
    for field in schema.fields() {
        let Some(index) =
            (0..columns.num_columns()).find(|&i| columns.column(i).name() == field.name())
        else {
            continue;
        };
        let mut column = ColumnStats::default();
        for group in metadata.row_groups() {
            column.fold(field, group.column(index).statistics());
        }
        if let Some(nulls) = column.nulls {
            null_count.insert(field.name().clone(), Value::from(nulls));
        }
        if let (Some(min), Some(max), true) = (column.min, column.max, column.complete) {
            min_values.insert(field.name().clone(), min.into_json(Bound::Lower));
            max_values.insert(field.name().clone(), max.into_json(Bound::Upper));
        }
    }
    let mut stats = Map::new();
    stats.insert(
        "numRecords".into(),
        Value::from(metadata.file_metadata().num_rows()),
    );
    stats.insert("minValues".into(), Value::Object(min_values));
    stats.insert("maxValues".into(), Value::Object(max_values));
    stats.insert("nullCount".into(), Value::Object(null_count));
    Value::Object(stats).to_string()
}

/// One column's bounds folded over the row groups. `complete` turns false as soon as a row
/// group with values has no usable bound, because then the file's range is unknown.
struct ColumnStats {
    min: Option<Scalar>,
    max: Option<Scalar>,
    nulls: Option<u64>,
    complete: bool,
}

impl Default for ColumnStats {
    fn default() -> Self {
        ColumnStats {
            min: None,
            max: None,
            nulls: Some(0),
            complete: true,
        }
    }
}

impl ColumnStats {
    fn fold(&mut self, field: &Field, statistics: Option<&Statistics>) {
        let Some(statistics) = statistics else {
            self.nulls = None;
            self.complete = false;
            return;
        };
        self.nulls = match (self.nulls, statistics.null_count_opt()) {
            (Some(total), Some(more)) => Some(total + more),
            _ => None,
        };
        let (min, max) = match bounds(field.data_type(), statistics) {
            Some(bounds) => bounds,
            // A row group of nulls only has no bounds and needs none.
            None if all_null(statistics) => return,
            None => {
                self.complete = false;
                return;
            }
        };
        self.min = Some(match self.min.take() {
            Some(current) if current.le(&min) => current,
            _ => min,
        });
        self.max = Some(match self.max.take() {
            Some(current) if max.le(&current) => current,
            _ => max,
        });
    }
}

/// A row group whose statistics have no bounds because it holds no value.
fn all_null(statistics: &Statistics) -> bool {
    statistics.min_bytes_opt().is_none() && statistics.max_bytes_opt().is_none()
}

/// A typed bound, compared within one column (always the same variant).
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Int(i64),
    Micros(i64),
    Bool(bool),
    Text(String),
}

#[derive(Clone, Copy)]
enum Bound {
    Lower,
    Upper,
}

impl Scalar {
    fn le(&self, other: &Scalar) -> bool {
        match (self, other) {
            (Scalar::Int(a), Scalar::Int(b)) | (Scalar::Micros(a), Scalar::Micros(b)) => a <= b,
            (Scalar::Bool(a), Scalar::Bool(b)) => a <= b,
            (Scalar::Text(a), Scalar::Text(b)) => a <= b,
            _ => false,
        }
    }

    fn into_json(self, bound: Bound) -> Value {
        match self {
            Scalar::Int(v) => Value::from(v),
            Scalar::Bool(v) => Value::from(v),
            Scalar::Text(v) => Value::from(v),
            Scalar::Micros(micros) => {
                let millis = match bound {
                    Bound::Lower => micros.div_euclid(1000),
                    Bound::Upper => (micros + 999).div_euclid(1000),
                };
                let text = DateTime::from_timestamp_millis(millis)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                    .unwrap_or_default();
                Value::from(text)
            }
        }
    }
}

/// The minimum and maximum of one row group, typed by the Arrow column, when they are exact
/// and usable as Delta statistics.
fn bounds(data_type: &DataType, statistics: &Statistics) -> Option<(Scalar, Scalar)> {
    match (data_type, statistics) {
        (DataType::Int32, Statistics::Int32(s)) => Some((
            Scalar::Int((*s.min_opt()?).into()),
            Scalar::Int((*s.max_opt()?).into()),
        )),
        // Unsigned columns are stored with the signed physical type; the bits are the value.
        // Delta has no unsigned types: a value beyond the signed range gets no bounds.
        (DataType::UInt32, Statistics::Int32(s)) => {
            let (min, max) = (*s.min_opt()? as u32, *s.max_opt()? as u32);
            (max <= i32::MAX as u32).then(|| (Scalar::Int(min.into()), Scalar::Int(max.into())))
        }
        (DataType::Int64, Statistics::Int64(s)) => {
            Some((Scalar::Int(*s.min_opt()?), Scalar::Int(*s.max_opt()?)))
        }
        (DataType::UInt64, Statistics::Int64(s)) => {
            let (min, max) = (*s.min_opt()? as u64, *s.max_opt()? as u64);
            let max = i64::try_from(max).ok()?;
            Some((Scalar::Int(min as i64), Scalar::Int(max)))
        }
        (DataType::Timestamp(TimeUnit::Microsecond, _), Statistics::Int64(s)) => {
            Some((Scalar::Micros(*s.min_opt()?), Scalar::Micros(*s.max_opt()?)))
        }
        (DataType::Boolean, Statistics::Boolean(s)) => {
            Some((Scalar::Bool(*s.min_opt()?), Scalar::Bool(*s.max_opt()?)))
        }
        (DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8, Statistics::ByteArray(s)) => {
            if !s.min_is_exact() || !s.max_is_exact() {
                return None;
            }
            let text = |bytes: &[u8]| {
                (bytes.len() <= MAX_TEXT_BYTES)
                    .then(|| std::str::from_utf8(bytes).ok().map(str::to_string))
                    .flatten()
            };
            Some((
                Scalar::Text(text(s.min_opt()?.data())?),
                Scalar::Text(text(s.max_opt()?.data())?),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{ArrayRef, BinaryArray, Int32Array, RecordBatch, StringArray};
    use arrow::array::{TimestampMicrosecondArray, UInt64Array};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    fn written(batch: &RecordBatch, rows_per_group: usize) -> ParquetMetaData {
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(rows_per_group))
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_column_statistics_enabled("raw".into(), EnabledStatistics::None)
            .build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap()
    }

    fn batch() -> RecordBatch {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "site",
                Arc::new(StringArray::from(vec![
                    Some("home-b"),
                    Some("home-a"),
                    Some("home-c"),
                    Some("home-a"),
                ])),
            ),
            (
                "zone",
                Arc::new(Int32Array::from(vec![None, Some(7), None, Some(-2)])),
            ),
            (
                "note",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some(long.as_str()),
                    None,
                    Some("b"),
                ])),
            ),
            ("sub", Arc::new(UInt64Array::from(vec![0, 3, u64::MAX, 1]))),
            (
                "event_time",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        1_000_001, 5_999_001, 2_000_000, 3_000_000,
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            (
                "raw",
                Arc::new(BinaryArray::from(vec![
                    Some(b"1".as_ref()),
                    None,
                    Some(b"2".as_ref()),
                    Some(b"3".as_ref()),
                ])),
            ),
            (
                "empty",
                Arc::new(Int32Array::from(vec![None, None, None, None])),
            ),
        ];
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn bounds_are_safe_for_pruning_across_row_groups() {
        let batch = batch();
        for rows_per_group in [1, 2, 4] {
            let stats: Value = serde_json::from_str(&file_stats(
                &batch.schema(),
                &written(&batch, rows_per_group),
            ))
            .unwrap();
            assert_eq!(stats["numRecords"], 4);
            let (min, max, nulls) = (
                &stats["minValues"],
                &stats["maxValues"],
                &stats["nullCount"],
            );
            assert_eq!(
                (&min["site"], &max["site"]),
                (&Value::from("home-a"), &Value::from("home-c"))
            );
            assert_eq!(
                (&min["zone"], &max["zone"]),
                (&Value::from(-2), &Value::from(7))
            );
            assert_eq!(nulls["zone"], 2);
            // Milliseconds: the minimum rounded down, the maximum up.
            assert_eq!(min["event_time"], "1970-01-01T00:00:01.000Z");
            assert_eq!(max["event_time"], "1970-01-01T00:00:06.000Z");
            // A text too long to keep exactly and an unsigned value past i64 have no bounds;
            // a column without statistics and a binary one have none either.
            for column in ["note", "sub", "raw"] {
                assert!(
                    min.get(column).is_none() && max.get(column).is_none(),
                    "{column}: {stats}"
                );
            }
            assert_eq!(nulls["note"], 1);
            assert_eq!(nulls["empty"], 4);
            assert!(min.get("empty").is_none());
        }
    }
}
