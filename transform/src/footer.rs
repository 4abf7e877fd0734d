//! Reading a Parquet file's footer from the lake without downloading the file: compaction
//! judges files by it, and registering files that are already in the lake (recovery's
//! roll-forward, `lake convert`) takes their Delta statistics from it.

use object_store::ObjectStoreExt;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::lake::{Lake, LakeError};

/// Length of the Parquet tail: the footer length (4 bytes) and the magic `PAR1`.
const TAIL: u64 = 8;

/// The footer of the file at `path` (relative to the lake root) of `size` bytes, fetched with
/// two range reads (the tail, then the metadata). The inner error says why a file is not
/// Parquet; the outer one is the store's.
pub(crate) async fn read_footer(
    lake: &Lake,
    path: &str,
    size: u64,
) -> Result<Result<ParquetMetaData, String>, LakeError> {
    if size < TAIL + 4 {
        return Ok(Err(format!("{size} bytes is too short")));
    }
    let location = lake.path(path)?;
    let tail = lake.store().get_range(&location, size - TAIL..size).await?;
    if &tail[4..] != b"PAR1" {
        return Ok(Err("no PAR1 magic at the end".into()));
    }
    let length = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if length + TAIL + 4 > size {
        return Ok(Err(format!("footer length {length} exceeds the file")));
    }
    let start = size - TAIL - length;
    let footer = lake
        .store()
        .get_range(&location, start..size - TAIL)
        .await?;
    Ok(ParquetMetaDataReader::decode_metadata(&footer).map_err(|e| e.to_string()))
}
