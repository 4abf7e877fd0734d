//! The parts of a Parquet writer that depend only on the Arrow schema, derived once per schema
//! instead of once per file.
//!
//! *Why:* `ArrowWriter::try_new` converts the Arrow schema into a Parquet schema and serialises
//! it (Arrow IPC, then base64) into the `ARROW:schema` metadata entry for every file it opens.
//! A consumer writes a file per shard, table and hour at every flush, a few hundred rows each,
//! and for those files that per-file work on the tables' sixty-odd columns was 5–8 % of encoding
//! one (`cargo bench -p alarmlake-benches --bench encode`, `benches/RESULTS.md`).
//! The lake has a handful of table schemas, so each is derived once and reused; the files are
//! byte for byte what the writer would make on its own (a test compares them).

use std::sync::{Arc, Mutex, PoisonError};

use arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::{ARROW_SCHEMA_META_KEY, ArrowSchemaConverter, encode_arrow_schema};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::schema::types::SchemaDescriptor;

/// More schemas than the lake's tables have; a process that somehow sees more starts over
/// rather than keep them all.
const MOST_SCHEMAS: usize = 16;

/// One Arrow schema's Parquet schema and `ARROW:schema` metadata entry.
#[derive(Debug)]
pub(crate) struct WriterSchema {
    arrow: SchemaRef,
    pub parquet: SchemaDescriptor,
    /// The `ARROW:schema` entry, as `ArrowWriter` would add it: readers take the exact Arrow
    /// types (timestamps' time zone, for one) from it.
    pub arrow_entry: KeyValue,
}

/// The writer parts for `schema`, derived on first use; `None` for a schema with a
/// run-end-encoded column, which `ArrowWriter` writes as its values and describes flattened in
/// its schema entry (the lake's tables have none; such a file is left to the writer).
pub(crate) fn writer_schema(schema: &SchemaRef) -> Result<Option<Arc<WriterSchema>>, ParquetError> {
    static KNOWN: Mutex<Vec<Arc<WriterSchema>>> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = known.iter().find(|k| same(&k.arrow, schema)) {
        return Ok(Some(Arc::clone(found)));
    }
    // Checked on a miss only: a schema with such a column is never kept, so none is found.
    if has_run_end_encoding(schema) {
        return Ok(None);
    }
    let derived = Arc::new(derive(schema)?);
    if known.len() >= MOST_SCHEMAS {
        known.clear();
    }
    known.push(Arc::clone(&derived));
    Ok(Some(derived))
}

fn same(known: &SchemaRef, schema: &SchemaRef) -> bool {
    Arc::ptr_eq(known, schema) || **known == **schema
}

/// What `ArrowWriter::try_new` derives with default options (no type coercion, the default
/// root name).
fn derive(schema: &SchemaRef) -> Result<WriterSchema, ParquetError> {
    let parquet = ArrowSchemaConverter::new().convert(schema)?;
    Ok(WriterSchema {
        arrow: Arc::clone(schema),
        parquet,
        arrow_entry: KeyValue::new(
            ARROW_SCHEMA_META_KEY.to_string(),
            encode_arrow_schema(schema),
        ),
    })
}

fn has_run_end_encoding(schema: &Schema) -> bool {
    schema
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::RunEndEncoded(..)))
}
