//! The order rows take inside every lake file: by (site, event_time).
//!
//! Readers rely on it: the files declare it as their sorting columns, query engines skip sorts
//! and prune row groups by site with it, and compaction merges by it. Every file the lake
//! writes is sorted here, so it runs over every row the consumer writes.
//!
//! A general multi-column sort compares the site strings on every comparison. A file holds few
//! distinct sites (one home per site; a flush file a few dozen), so each site is ranked once
//! and the rows are sorted as (rank, microseconds, row) integers. The row number makes equal
//! keys keep their arrival order, so a file's bytes do not depend on the sort algorithm.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array, new_null_array};
use arrow::compute::{SortColumn, lexsort_to_indices, take};
use arrow::datatypes::TimestampMicrosecondType;
use arrow::error::ArrowError;

/// `batch` sorted by (site, event_time) ascending; the batch itself when it already is.
pub fn sort_by_site_and_time(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let site = column(batch, "site")?;
    let time = column(batch, "event_time")?;
    let (Some(sites), Some(times)) = (
        site.as_string_opt::<i32>(),
        time.as_primitive_opt::<TimestampMicrosecondType>(),
    ) else {
        return sort_generally(batch);
    };
    if sites.null_count() > 0 || times.null_count() > 0 || batch.num_rows() > u32::MAX as usize {
        return sort_generally(batch);
    }
    // Neither column has nulls here, so every row has a site name and a time. Each row's site
    // is looked up once: it gets the site's number in order of first appearance, and those
    // numbers are mapped to sorted ranks afterwards.
    let mut first_seen: HashMap<&str, u32> = HashMap::new();
    let row_sites: Vec<u32> = (0..sites.len())
        .map(|row| {
            let next = first_seen.len() as u32;
            *first_seen.entry(sites.value(row)).or_insert(next)
        })
        .collect();
    let mut names: Vec<(&str, u32)> = first_seen.into_iter().collect();
    names.sort_unstable();
    let mut rank_of = vec![0u32; names.len()];
    for (rank, (_, seen)) in names.iter().enumerate() {
        rank_of[*seen as usize] = rank as u32;
    }
    let mut keys: Vec<(u32, i64, u32)> = times
        .values()
        .iter()
        .zip(&row_sites)
        .enumerate()
        .map(|(row, (&micros, &seen))| (rank_of[seen as usize], micros, row as u32))
        .collect();
    if keys.is_sorted() {
        return Ok(batch.clone());
    }
    keys.sort_unstable();
    let indices = UInt32Array::from_iter_values(keys.into_iter().map(|(_, _, row)| row));
    take_columns(batch, &indices)
}

/// The rows of `batch` at `indices`, except that a column with only nulls is not gathered:
/// most of a table's eighty columns belong to other kinds of event, so in a small file most
/// are entirely null, and moving their nulls around was a third of the sort.
fn take_columns(batch: &RecordBatch, indices: &UInt32Array) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .map(|column| {
            if column.null_count() == column.len() {
                Ok(new_null_array(column.data_type(), indices.len()))
            } else {
                take(column.as_ref(), indices, None)
            }
        })
        .collect::<Result<Vec<_>, ArrowError>>()?;
    RecordBatch::try_new(batch.schema(), columns)
}

/// Any column types, nulls first as Arrow's default: the path for what the writer never makes.
fn sort_generally(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = ["site", "event_time"]
        .into_iter()
        .map(|name| {
            Ok(SortColumn {
                values: column(batch, name)?,
                options: None,
            })
        })
        .collect::<Result<Vec<_>, ArrowError>>()?;
    let indices = lexsort_to_indices(&columns, None)?;
    take_columns(batch, &indices)
}

fn column(batch: &RecordBatch, name: &str) -> Result<arrow::array::ArrayRef, ArrowError> {
    batch
        .column_by_name(name)
        .cloned()
        .ok_or_else(|| ArrowError::SchemaError(format!("no {name} column")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    fn batch(sites: Vec<Option<&str>>, times: Vec<i64>) -> RecordBatch {
        let rows: Vec<u32> = (0..sites.len() as u32).collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("site", DataType::Utf8, true),
                Field::new(
                    "event_time",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
                Field::new("row", DataType::UInt32, false),
            ])),
            vec![
                Arc::new(StringArray::from(sites)),
                Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC")),
                Arc::new(UInt32Array::from(rows)),
            ],
        )
        .unwrap()
    }

    fn rows(batch: &RecordBatch) -> Vec<u32> {
        batch
            .column_by_name("row")
            .unwrap()
            .as_primitive::<arrow::datatypes::UInt32Type>()
            .values()
            .to_vec()
    }

    #[test]
    fn sorts_by_site_then_time_keeping_arrival_order_of_ties() {
        let b = batch(
            vec![
                Some("home-b"),
                Some("home-a"),
                Some("home-b"),
                Some("home-a"),
                Some("home-a"),
            ],
            vec![5, 9, 1, 9, 3],
        );
        assert_eq!(rows(&sort_by_site_and_time(&b).unwrap()), [4, 1, 3, 2, 0]);
    }

    #[test]
    fn agrees_with_the_general_sort_on_distinct_keys() {
        let sites: Vec<String> = (0..500)
            .map(|i| format!("home-{}", (i * 7919) % 37))
            .collect();
        let times: Vec<i64> = (0..500).map(|i| (i * 104_729) % 1_000_003).collect();
        let b = batch(sites.iter().map(|s| Some(s.as_str())).collect(), times);
        assert_eq!(
            rows(&sort_by_site_and_time(&b).unwrap()),
            rows(&sort_generally(&b).unwrap())
        );
    }

    #[test]
    fn null_sites_take_the_general_path_and_sort_first() {
        let b = batch(vec![Some("home-a"), None], vec![1, 2]);
        assert_eq!(rows(&sort_by_site_and_time(&b).unwrap()), [1, 0]);
    }

    #[test]
    fn a_sorted_batch_comes_back_as_is() {
        let b = batch(vec![Some("a"), Some("a"), Some("b")], vec![1, 2, 0]);
        assert_eq!(rows(&sort_by_site_and_time(&b).unwrap()), [0, 1, 2]);
    }

    #[test]
    fn columns_of_nulls_keep_their_type_and_length() {
        let b = batch(vec![Some("b"), Some("a"), Some("a")], vec![1, 2, 0]);
        let nulls = new_null_array(&DataType::Utf8, 3);
        let mut fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("unused", DataType::Utf8, true));
        let mut columns = b.columns().to_vec();
        columns.push(nulls);
        let wide = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        let sorted = sort_by_site_and_time(&wide).unwrap();
        assert_eq!(rows(&sorted), [2, 1, 0]);
        let unused = sorted.column_by_name("unused").unwrap();
        assert_eq!((unused.len(), unused.null_count()), (3, 3));
        assert_eq!(unused.data_type(), &DataType::Utf8);
    }
}
