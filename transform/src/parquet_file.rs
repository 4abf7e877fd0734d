//! One record batch to the bytes of one Parquet file.
//!
//! zstd, statistics down to the page in files large enough to have several pages (so readers can
//! skip pages), dictionaries where values repeat, rows sorted by (site, event_time) and declared
//! as such, and row groups small enough for readers to prune but large enough to compress well.
//! The schema version and the stream positions the file covers go into its key-value metadata.

use alarmlake_schemas::Table;
use alarmlake_schemas::tables::{SCHEMA_VERSION, SCHEMA_VERSION_KEY, TABLE_KEY};
use arrow::array::{Array, RecordBatch};
use arrow::error::ArrowError;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::delta::file_stats;
use crate::file_order::sort_by_site_and_time;
use crate::positions::PositionRange;
use crate::writer_schema::writer_schema;

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

/// The writer settings for `batch`; `arrow_entry` is the `ARROW:schema` entry when the caller
/// has it already (see [`crate::writer_schema`]).
fn properties(
    table: Table,
    positions: &PositionRange,
    batch: &RecordBatch,
    arrow_entry: Option<KeyValue>,
) -> WriterProperties {
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
        .set_key_value_metadata(Some(
            [
                KeyValue::new(SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
                KeyValue::new(TABLE_KEY.to_string(), table.name().to_string()),
                KeyValue::new(POSITIONS_KEY.to_string(), positions.to_json()),
            ]
            .into_iter()
            // Last, where ArrowWriter adds it when it makes the entry itself.
            .chain(arrow_entry)
            .collect(),
        ))
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

/// An encoded file: its bytes, the stream positions it covers, and its Delta statistics.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Bytes,
    pub positions: PositionRange,
    /// `numRecords`, bounds and null counts as Delta's `add.stats` JSON, from the footer.
    pub stats: String,
}

/// Encodes a batch of `table` as a Parquet file.
pub fn encode(table: Table, batch: &RecordBatch) -> Result<Encoded, EncodeError> {
    let positions = PositionRange::of_batch(batch);
    let sorted = sort_by_site_and_time(batch)?;
    let schema = sorted.schema();
    let derived = writer_schema(&schema)?;
    let mut options = ArrowWriterOptions::new();
    if let Some(derived) = &derived {
        options = options
            .with_parquet_schema(derived.parquet.clone())
            .with_skip_arrow_metadata(true);
    }
    let arrow_entry = derived.map(|d| d.arrow_entry.clone());
    let props = properties(table, &positions, &sorted, arrow_entry);
    let mut out = Vec::with_capacity(sorted.get_array_memory_size() / 4);
    let mut writer = ArrowWriter::try_new_with_options(
        &mut out,
        schema.clone(),
        options.with_properties(props),
    )?;
    writer.write(&sorted)?;
    let footer = writer.close()?;
    Ok(Encoded {
        bytes: Bytes::from(out),
        positions,
        stats: file_stats(&schema, &footer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alarmlake_schemas::{Decoder, LakeBatches, RawRecord, RecordPosition};
    use chrono::{DateTime, Utc};

    /// Every table the lines decode to: keypad, RF and LRR messages as a panel sends them,
    /// from two homes, out of order, so the file sort has work to do.
    fn tables() -> Vec<(Table, RecordBatch)> {
        let at = DateTime::<Utc>::from_timestamp(1_733_000_000, 0).unwrap_or_default();
        let lines = [
            r#"{"ready": true, "armed_away": false, "text": "****DISARMED****  Ready to Arm  ", "time": "2024-12-01T10:00:05", "bitfield": "[1000000100000000----]", "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "mask": 33558288, "beeps": 0}"#,
            r#"{"battery": false, "serial_number": "0123456", "supervision": false, "time": "2024-12-01T10:00:01", "value": 128}"#,
            r#"{"event_code": "0x401", "event_data": "003", "event_type": "CID_3401", "partition": "1", "time": "2024-12-01T10:00:03"}"#,
            "[0000000100000000----],008,[f702000f1008005c08020000000000],\"****DISARMED****  Ready to Arm  \"",
            "!RFX:0123457,80",
            r#"{"homeId":1042,"timestamp":"2024-12-01T10:00:02.250Z","eventType":"sensorReading","eventData":{"temperature":21.5},"originDeviceId":77,"originDeviceClass":"thermostat"}"#,
            "!LRR:garbage that no decoder reads",
        ];
        let decoder = Decoder::default();
        let mut batches = LakeBatches::new(at);
        for (i, line) in lines.iter().cycle().take(40).enumerate() {
            let mut position = RecordPosition::line("file", "panel.log", i as u64 + 1, at);
            position.partition_key = Some(format!("home-{}", 2 - i % 2));
            let record = RawRecord {
                data: line.as_bytes().to_vec(),
                position,
            };
            for outcome in decoder.decode(&record) {
                batches.append(&record.position, &outcome);
            }
        }
        batches.finish().expect("the lines build")
    }

    /// What `ArrowWriter` makes of the same sorted batch and settings when it derives the
    /// Parquet schema and the `ARROW:schema` entry itself.
    fn written_by_arrow_writer(table: Table, batch: &RecordBatch) -> Vec<u8> {
        let positions = PositionRange::of_batch(batch);
        let sorted = sort_by_site_and_time(batch).expect("sorts");
        let props = properties(table, &positions, &sorted, None);
        let mut out = Vec::new();
        let mut writer =
            ArrowWriter::try_new(&mut out, sorted.schema(), Some(props)).expect("opens");
        writer.write(&sorted).expect("writes");
        writer.close().expect("closes");
        out
    }

    #[test]
    fn files_are_byte_for_byte_those_arrow_writer_makes_itself() {
        let tables = tables();
        let names: Vec<Table> = tables.iter().map(|(table, _)| *table).collect();
        assert!(names.len() >= 3, "the lines make several tables: {names:?}");
        // Twice: the second encoding of each table takes its schema parts from the cache.
        for _ in 0..2 {
            for (table, batch) in &tables {
                let bytes = encode(*table, batch).expect("encodes").bytes;
                assert_eq!(
                    bytes.as_ref(),
                    written_by_arrow_writer(*table, batch).as_slice(),
                    "{table:?}"
                );
            }
        }
    }
}
