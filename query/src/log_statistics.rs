//! The statistics a Delta log keeps for every file it references (`numRecords`, `minValues`,
//! `maxValues`, `nullCount`, written by the transform's `delta::stats`), held column-wise as
//! the snapshot gives them, and handed to DataFusion two ways: as [`PruningStatistics`] over
//! the files of one scan (plan-time skipping, [`crate::data_skipping`]), and as each file's own
//! [`Statistics`] (for the Parquet opener, which skips a file before reading its footer, also
//! against the filters a `TopK` or a join only learns while running).
//!
//! *Why column-wise:* a lake of hour files has thousands of files of some 80 columns. Turning
//! every bound of every file into a `ScalarValue` up front would cost tens of megabytes and
//! milliseconds per table per session; a scan asks for two or three columns, which are
//! gathered from the log's arrays only when asked.
//!
//! Every value is a *bound*, not necessarily a value the file holds: timestamps carry
//! milliseconds in Delta statistics, rounded outward by the writer. That is all pruning needs
//! (a file whose bounds exclude the predicate holds no matching row), and DataFusion uses
//! per-file statistics for nothing else than pruning and ordering checks, where a wider bound
//! only keeps more files. They are declared `Exact` because DataFusion prunes with nothing
//! less.

use std::collections::{HashMap, HashSet};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StructArray, new_null_array,
};
use datafusion::arrow::compute::{cast, interleave};
use datafusion::arrow::datatypes::{DataType, Schema, UInt64Type};
use datafusion::common::pruning::PruningStatistics;
use datafusion::common::stats::Precision;
use datafusion::common::{Column, ColumnStatistics, ScalarValue, Statistics};
use datafusion::datasource::listing::PartitionedFile;
use object_store::path::Path;

/// The columns of the snapshot's add actions (deltalake's `add_actions_batches`) read here.
const PATH: &str = "path";
const NUM_RECORDS: &str = "num_records";
const NULL_COUNT: &str = "null_count";
const MIN: &str = "min";
const MAX: &str = "max";

/// One table's per-file statistics from its Delta snapshot.
#[derive(Debug, Default)]
pub struct LogStatistics {
    /// The snapshot's add actions, as it holds them.
    batches: Vec<RecordBatch>,
    /// Each file's location (in the session's store) → its batch and row.
    rows: HashMap<Path, (usize, usize)>,
}

impl LogStatistics {
    /// Indexes the add actions of a table whose folder is `folder`; the log names files
    /// relative to it, percent-encoded as Delta's paths are.
    pub fn new(folder: &Path, batches: Vec<RecordBatch>) -> Result<LogStatistics, String> {
        let mut rows = HashMap::new();
        for (b, batch) in batches.iter().enumerate() {
            let paths = batch
                .column_by_name(PATH)
                .and_then(|paths| paths.as_string_opt::<i32>())
                .ok_or("the snapshot's add actions have no path column")?;
            for (r, path) in paths.iter().enumerate() {
                let path = path.ok_or("the log has an add action without a path")?;
                let location = Path::from_url_path(format!("{folder}/{path}"))
                    .map_err(|e| format!("the log names a file at an invalid path: {e}"))?;
                rows.insert(location, (b, r));
            }
        }
        Ok(LogStatistics { batches, rows })
    }

    /// Where the log keeps `file`'s row, if it references the file.
    fn row_of(&self, file: &PartitionedFile) -> Option<(usize, usize)> {
        self.rows.get(&file.object_meta.location).copied()
    }

    /// `column`'s values of one struct column of the add actions (`min`, `max`,
    /// `null_count`), or the top-level column `num_records` when `column` is `None`, gathered
    /// for `files` in their order: null where the log has no value for a file.
    fn gather(
        &self,
        part: &str,
        column: Option<&str>,
        files: &[&PartitionedFile],
    ) -> Option<ArrayRef> {
        let mut sources: Vec<ArrayRef> = Vec::with_capacity(self.batches.len() + 1);
        for batch in &self.batches {
            let array = batch.column_by_name(part)?;
            let array = match column {
                None => array.clone(),
                Some(name) => array
                    .as_any()
                    .downcast_ref::<StructArray>()?
                    .column_by_name(name)?
                    .clone(),
            };
            sources.push(array);
        }
        let data_type = sources.first()?.data_type().clone();
        if sources
            .iter()
            .any(|source| source.data_type() != &data_type)
        {
            return None;
        }
        let missing = sources.len();
        sources.push(new_null_array(&data_type, 1));
        let indices: Vec<(usize, usize)> = files
            .iter()
            .map(|file| self.row_of(file).unwrap_or((missing, 0)))
            .collect();
        let sources: Vec<&dyn Array> = sources.iter().map(|a| a.as_ref()).collect();
        interleave(&sources, &indices).ok()
    }

    /// Pruning statistics for the files of one scan, in their order. `schema` is the scan's
    /// table schema: the files' columns, then the partition columns, whose values every
    /// [`PartitionedFile`] carries.
    pub fn for_files<'a>(
        &'a self,
        files: Vec<&'a PartitionedFile>,
        schema: &'a Schema,
        partition_columns: usize,
    ) -> FilesStatistics<'a> {
        FilesStatistics {
            log: self,
            files,
            schema,
            partition_columns,
        }
    }

    /// `file`'s statistics over `file_schema` (the columns of the files, without partition
    /// columns), with bounds and null counts for `columns` only and the rest unknown, for
    /// [`PartitionedFile::with_statistics`].
    pub fn file_statistics(
        &self,
        file: &PartitionedFile,
        file_schema: &Schema,
        columns: &[usize],
    ) -> Option<Statistics> {
        let (b, r) = self.row_of(file)?;
        let batch = &self.batches[b];
        let mut statistics = Statistics::new_unknown(file_schema);
        let records = batch
            .column_by_name(NUM_RECORDS)
            .and_then(|a| cast(a, &DataType::UInt64).ok());
        if let Some(records) = records
            .as_ref()
            .and_then(|a| a.as_primitive_opt::<UInt64Type>())
            && records.is_valid(r)
        {
            statistics.num_rows = Precision::Exact(records.value(r) as usize);
        }
        statistics.total_byte_size = Precision::Inexact(file.object_meta.size as usize);
        for &index in columns {
            let Some(field) = file_schema.fields().get(index) else {
                continue;
            };
            let scalar = |part: &str| -> Precision<ScalarValue> {
                struct_child(batch, part, field.name())
                    .filter(|child| child.is_valid(r))
                    .and_then(|child| ScalarValue::try_from_array(&child, r).ok())
                    .and_then(|value| value.cast_to(field.data_type()).ok())
                    .map_or(Precision::Absent, Precision::Exact)
            };
            let null_count = match scalar(NULL_COUNT) {
                Precision::Exact(count) => count
                    .cast_to(&DataType::UInt64)
                    .ok()
                    .and_then(|count| match count {
                        ScalarValue::UInt64(Some(count)) => Some(count as usize),
                        _ => None,
                    })
                    .map_or(Precision::Absent, Precision::Exact),
                _ => Precision::Absent,
            };
            statistics.column_statistics[index] = ColumnStatistics {
                null_count,
                min_value: scalar(MIN),
                max_value: scalar(MAX),
                ..ColumnStatistics::new_unknown()
            };
        }
        Some(statistics)
    }
}

/// One child of a struct column of `batch`.
fn struct_child(batch: &RecordBatch, part: &str, name: &str) -> Option<ArrayRef> {
    batch
        .column_by_name(part)?
        .as_any()
        .downcast_ref::<StructArray>()?
        .column_by_name(name)
        .cloned()
}

/// [`PruningStatistics`] of the files of one scan: the log's bounds for the files' columns,
/// and each file's own value for the partition columns.
pub struct FilesStatistics<'a> {
    log: &'a LogStatistics,
    files: Vec<&'a PartitionedFile>,
    schema: &'a Schema,
    partition_columns: usize,
}

impl FilesStatistics<'_> {
    /// The position of `column` among the partition columns, if it is one.
    fn partition_index(&self, column: &Column) -> Option<usize> {
        let index = self.schema.index_of(column.name()).ok()?;
        let first = self.schema.fields().len() - self.partition_columns;
        index.checked_sub(first)
    }

    /// A partition column's value of every file (its minimum and maximum alike).
    fn partition_values(&self, index: usize) -> Option<ArrayRef> {
        let values = self
            .files
            .iter()
            .map(|file| file.partition_values.get(index).cloned());
        ScalarValue::iter_to_array(values.collect::<Option<Vec<_>>>()?).ok()
    }

    fn bounds(&self, part: &str, column: &Column) -> Option<ArrayRef> {
        match self.partition_index(column) {
            Some(index) => self.partition_values(index),
            None => self.log.gather(part, Some(column.name()), &self.files),
        }
    }
}

impl PruningStatistics for FilesStatistics<'_> {
    fn min_values(&self, column: &Column) -> Option<ArrayRef> {
        self.bounds(MIN, column)
    }

    fn max_values(&self, column: &Column) -> Option<ArrayRef> {
        self.bounds(MAX, column)
    }

    fn num_containers(&self) -> usize {
        self.files.len()
    }

    fn null_counts(&self, column: &Column) -> Option<ArrayRef> {
        if self.partition_index(column).is_some() {
            return None;
        }
        let counts = self
            .log
            .gather(NULL_COUNT, Some(column.name()), &self.files)?;
        cast(&counts, &DataType::UInt64).ok()
    }

    fn row_counts(&self) -> Option<ArrayRef> {
        let counts = self.log.gather(NUM_RECORDS, None, &self.files)?;
        cast(&counts, &DataType::UInt64).ok()
    }

    fn contained(&self, _column: &Column, _values: &HashSet<ScalarValue>) -> Option<BooleanArray> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc as StdArc;

    use datafusion::arrow::array::{Int64Array, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{Field, Fields, TimeUnit};

    use super::*;

    /// Add actions as the snapshot gives them, for files `a` (sites a..c, times 10..20) and
    /// `b` (sites d..f, times 30..40, no bounds for `site`).
    fn add_actions() -> RecordBatch {
        let time = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let bounds = |sites: [Option<&str>; 2], times: [i64; 2]| -> ArrayRef {
            StdArc::new(StructArray::new(
                Fields::from(vec![
                    Field::new("site", DataType::Utf8, true),
                    Field::new("event_time", time.clone(), true),
                ]),
                vec![
                    StdArc::new(StringArray::from(sites.to_vec())),
                    StdArc::new(
                        TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC"),
                    ),
                ],
                None,
            ))
        };
        let counts: ArrayRef = StdArc::new(StructArray::new(
            Fields::from(vec![
                Field::new("site", DataType::Int64, true),
                Field::new("event_time", DataType::Int64, true),
            ]),
            vec![
                StdArc::new(Int64Array::from(vec![0, 0])),
                StdArc::new(Int64Array::from(vec![0, 1])),
            ],
            None,
        ));
        let min = bounds([Some("a"), None], [10, 30]);
        let max = bounds([Some("c"), None], [20, 40]);
        RecordBatch::try_from_iter(vec![
            (
                PATH,
                StdArc::new(StringArray::from(vec![
                    "date=2026-12-05/hour=01/a.parquet",
                    "date=2026-12-05/hour=02/b.parquet",
                ])) as ArrayRef,
            ),
            (
                NUM_RECORDS,
                StdArc::new(Int64Array::from(vec![5, 7])) as ArrayRef,
            ),
            (NULL_COUNT, counts),
            (MIN, min),
            (MAX, max),
        ])
        .unwrap()
    }

    fn file(path: &str) -> PartitionedFile {
        PartitionedFile::new(path, 100)
    }

    #[test]
    fn bounds_are_gathered_in_the_scan_s_order_and_unknown_files_are_null() {
        let log =
            LogStatistics::new(&Path::from("lake/alarm_events"), vec![add_actions()]).unwrap();
        let b = file("lake/alarm_events/date=2026-12-05/hour=02/b.parquet");
        let a = file("lake/alarm_events/date=2026-12-05/hour=01/a.parquet");
        let stranger = file("lake/alarm_events/date=2026-12-05/hour=03/c.parquet");
        let schema = Schema::new(vec![Field::new("site", DataType::Utf8View, false)]);
        let stats = log.for_files(vec![&b, &a, &stranger], &schema, 0);
        let min = stats.min_values(&Column::from_name("event_time")).unwrap();
        let min = min.as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>();
        assert_eq!(
            min.iter().collect::<Vec<_>>(),
            vec![Some(30), Some(10), None]
        );
        let sites = stats.max_values(&Column::from_name("site")).unwrap();
        assert_eq!(
            sites.as_string::<i32>().iter().collect::<Vec<_>>(),
            vec![None, Some("c"), None]
        );
        let rows = stats.row_counts().unwrap();
        let rows = rows.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        assert_eq!(
            rows.iter().collect::<Vec<_>>(),
            vec![Some(7), Some(5), None]
        );
        assert!(stats.min_values(&Column::from_name("zone")).is_none());
    }

    #[test]
    fn a_file_s_statistics_cover_the_asked_columns_in_the_read_types() {
        let log =
            LogStatistics::new(&Path::from("lake/alarm_events"), vec![add_actions()]).unwrap();
        let a = file("lake/alarm_events/date=2026-12-05/hour=01/a.parquet");
        let schema = Schema::new(vec![
            Field::new("site", DataType::Utf8View, false),
            Field::new("zone", DataType::Int64, true),
        ]);
        let stats = log.file_statistics(&a, &schema, &[0]).unwrap();
        assert_eq!(stats.num_rows, Precision::Exact(5));
        let site = &stats.column_statistics[0];
        assert_eq!(
            site.min_value,
            Precision::Exact(ScalarValue::Utf8View(Some("a".into())))
        );
        assert_eq!(
            site.max_value,
            Precision::Exact(ScalarValue::Utf8View(Some("c".into())))
        );
        assert_eq!(site.null_count, Precision::Exact(0));
        assert_eq!(stats.column_statistics[1], ColumnStatistics::new_unknown());
        assert!(
            log.file_statistics(&file("lake/elsewhere.parquet"), &schema, &[0])
                .is_none()
        );
    }
}
