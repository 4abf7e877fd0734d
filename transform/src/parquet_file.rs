//! One record batch to the bytes of one Parquet file.
//!
//! zstd, statistics down to the page in files large enough to have several pages (so readers can
//! skip pages), dictionaries where values repeat, rows sorted by (site, event_time) and declared
//! as such, and row groups small enough for readers to prune but large enough to compress well.
//! The schema version and the stream positions the file covers go into its key-value metadata.

use std::sync::Arc;

use alarmlake_schemas::Table;
use alarmlake_schemas::tables::{SCHEMA_VERSION, SCHEMA_VERSION_KEY, TABLE_KEY};
use arrow::array::{Array, RecordBatch};
use arrow::error::ArrowError;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::file_order::sort_by_site_and_time;
use crate::positions::PositionRange;

/// Metadata key of the JSON list of stream ranges a file covers.
pub const POSITIONS_KEY: &str = "alarmlake.positions";

/// Column chunks with less Arrow data than this are stored uncompressed: a few hundred bytes
/// of run-length levels or dictionary indices gain nothing from a codec.
const TINY_COLUMN_BYTES: usize = 8 * 1024;

/// Column chunks with less Arrow data than this use Snappy rather than zstd.
///
/// A zstd column chunk costs a compression context to write and, in the Parquet reader, a
/// compression and a decompression context to read: on the hour files of one home (benchmark
/// P2, 1,440 files of about 1,400 rows) creating those contexts was a fifth of every query's
/// time. Snappy needs no context and every engine reads it (it is Firehose's default); zstd's
/// better ratio is kept for the chunks big enough to pay for its set-up.
const SMALL_COLUMN_BYTES: usize = 64 * 1024;

/// The codec for one column chunk, by how much data it holds (see the two limits above).
fn codec_for(column: &dyn Array) -> Compression {
    let bytes = column.get_buffer_memory_size();
    if column.null_count() == column.len() || bytes < TINY_COLUMN_BYTES {
        Compression::UNCOMPRESSED
    } else if bytes < SMALL_COLUMN_BYTES {
        Compression::SNAPPY
    } else {
        Compression::ZSTD(ZstdLevel::default())
    }
}

/// Columns that hold a different value in nearly every row: a dictionary would only cost a hash
/// and a comparison per value before Parquet falls back to plain encoding anyway, and in the
/// small files a consumer flushes it never falls back, so every value was hashed and stored
/// twice (dictionary page and indices).
const UNIQUE_PER_ROW: [&str; 4] = ["event_time", "arrival_time", "sequence_number", "raw"];

/// Columns without minimum and maximum statistics: the raw message text. No query prunes by
/// the alphabetical range of whole serial lines, and finding that range compared every value,
/// the longest in the file, byte by byte.
const NO_STATISTICS: [&str; 1] = ["raw"];

/// Files with fewer rows than this (a consumer's flush of one shard, table and hour) are
/// written without dictionaries and with statistics per column chunk only.
///
/// *Why:* in a file of a few hundred rows each of the eighty columns holds one page, so the
/// page index repeats the chunk statistics, and a dictionary's hash table costs more to set up
/// than it saves; together they were a fifth of encoding such a file (`cargo bench -p
/// alarmlake-benches --bench encode`, in `benches/RESULTS.md`). Compaction rewrites these files
/// into large ones, which get both.
const SMALL_FILE_ROWS: usize = 1000;

/// Rows per row group: about 10 MB of keypad rows before compression.
const ROW_GROUP_ROWS: usize = 128 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("sorting the batch: {0}")]
    Sort(#[from] ArrowError),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] ParquetError),
}

fn properties(table: Table, positions: &PositionRange, batch: &RecordBatch) -> WriterProperties {
    let schema = batch.schema();
    let column = |name: &str| {
        schema.index_of(name).ok().map(|i| SortingColumn {
            column_idx: i as i32,
            descending: false,
            nulls_first: false,
        })
    };
    let sorting: Option<Vec<SortingColumn>> =
        [column("site"), column("event_time")].into_iter().collect();
    let mut builder = WriterProperties::builder()
        .set_dictionary_enabled(batch.num_rows() >= SMALL_FILE_ROWS)
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(if batch.num_rows() < SMALL_FILE_ROWS {
            EnabledStatistics::Chunk
        } else {
            EnabledStatistics::Page
        })
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_sorting_columns(sorting)
        .set_key_value_metadata(Some(vec![
            KeyValue::new(SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
            KeyValue::new(TABLE_KEY.to_string(), table.name().to_string()),
            KeyValue::new(POSITIONS_KEY.to_string(), positions.to_json()),
        ]))
        .set_created_by(format!("alarmlake {}", env!("CARGO_PKG_VERSION")));
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let path = ColumnPath::from(field.name().as_str());
        if UNIQUE_PER_ROW.contains(&field.name().as_str()) {
            builder = builder.set_column_dictionary_enabled(path.clone(), false);
        }
        if NO_STATISTICS.contains(&field.name().as_str()) {
            builder = builder.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
        }
        builder = builder.set_column_compression(path, codec_for(column));
    }
    builder.build()
}

/// Encodes a batch of `table` as a Parquet file; returns its bytes and the positions it covers.
pub fn encode(table: Table, batch: &RecordBatch) -> Result<(Bytes, PositionRange), EncodeError> {
    let positions = PositionRange::of_batch(batch);
    let sorted = sort_by_site_and_time(batch)?;
    let props = properties(table, &positions, &sorted);
    let mut out = Vec::with_capacity(sorted.get_array_memory_size() / 4);
    let mut writer = ArrowWriter::try_new(&mut out, Arc::clone(&sorted.schema()), Some(props))?;
    writer.write(&sorted)?;
    writer.close()?;
    Ok((Bytes::from(out), positions))
}
