//! Parquet encoding for the async readers, done on tokio's blocking pool: encoding a flush takes
//! long enough that, on a runtime worker, it would stall the other shards' reads.

use alarmlake_transform::{FinishedBatch, PreparedFile, WriterError};

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("writer: {0}")]
    Writer(#[from] WriterError),
    #[error("encoding thread failed: {0}")]
    Join(String),
}

/// Encodes `batches` into files with their final names, off the async workers.
pub async fn encode_batches(batches: Vec<FinishedBatch>) -> Result<Vec<PreparedFile>, EncodeError> {
    if batches.is_empty() {
        return Ok(Vec::new());
    }
    let files = tokio::task::spawn_blocking(move || {
        batches
            .iter()
            .map(FinishedBatch::encode)
            .collect::<Result<Vec<PreparedFile>, WriterError>>()
    })
    .await
    .map_err(|e| EncodeError::Join(e.to_string()))??;
    Ok(files)
}
