//! What compaction needs to know about a file before deciding to merge it, read from its
//! footer alone: whether alarmlake wrote it for this table, the stream positions it covers,
//! and whether it has columns this version does not know.

use alarmlake_schemas::Table;
use alarmlake_schemas::tables::TABLE_KEY;
use parquet::arrow::parquet_to_arrow_schema;

use super::CompactionError;
use crate::footer::read_footer;
use crate::lake::Lake;
use crate::parquet_file::POSITIONS_KEY;
use crate::positions::PositionRange;

/// A file compaction may merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Path relative to the lake root.
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    pub positions: PositionRange,
}

/// A file's footer, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspected {
    Candidate(Candidate),
    /// Left as it is, and why (not written by alarmlake for this table, unreadable, or with
    /// columns a newer version added).
    LeftAlone {
        path: String,
        reason: String,
    },
}

/// Reads the footer of one file.
pub(crate) async fn inspect(
    lake: &Lake,
    table: Table,
    path: &str,
    bytes: u64,
) -> Result<Inspected, CompactionError> {
    let left_alone = |reason: String| {
        Ok(Inspected::LeftAlone {
            path: path.to_string(),
            reason,
        })
    };
    let footer = match read_footer(lake, path, bytes).await? {
        Ok(footer) => footer,
        Err(reason) => return left_alone(format!("not a readable Parquet file: {reason}")),
    };
    let metadata = footer.file_metadata();
    let value = |key: &str| {
        metadata
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == key))
            .and_then(|k| k.value.clone())
    };
    if value(TABLE_KEY).as_deref() != Some(table.name()) {
        return left_alone(format!("not written by alarmlake for {}", table.name()));
    }
    let Some(positions) = value(POSITIONS_KEY).and_then(|json| PositionRange::from_json(&json))
    else {
        return left_alone("no stream positions in its metadata".to_string());
    };
    let known = table.schema();
    let schema =
        match parquet_to_arrow_schema(metadata.schema_descr(), metadata.key_value_metadata()) {
            Ok(schema) => schema,
            Err(e) => return left_alone(format!("its schema cannot be read: {e}")),
        };
    let unknown: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| known.field_with_name(f.name()).is_err())
        .map(|f| f.name().clone())
        .collect();
    if !unknown.is_empty() {
        return left_alone(format!(
            "columns {} are unknown to this version (written by a newer alarmlake)",
            unknown.join(", ")
        ));
    }
    Ok(Inspected::Candidate(Candidate {
        path: path.to_string(),
        bytes,
        rows: u64::try_from(metadata.num_rows()).unwrap_or(0),
        positions,
    }))
}
