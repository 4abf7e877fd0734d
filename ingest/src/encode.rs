//! Parquet encoding for the async readers, done on tokio's blocking pool: encoding a flush takes
//! long enough that, on a runtime worker, it would stall the other shards' reads.
//!
//! At most one flush per core is encoded at a time. *Why:* shards that caught up together
//! flush together, and encoding all of them at once gains nothing on a machine with fewer cores
//! than shards; it only holds every shard's sorted copy and Parquet buffers in memory at the
//! same time, each in fresh pages the kernel must fault in and zero. One after another, each
//! flush reuses the memory the one before it freed.

use std::sync::OnceLock;

use alarmlake_transform::{FinishedBatch, PreparedFile, WriterError};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("writer: {0}")]
    Writer(#[from] WriterError),
    #[error("encoding thread failed: {0}")]
    Join(String),
}

/// Flushes being encoded now: one per core.
fn encoders() -> &'static Semaphore {
    static ENCODERS: OnceLock<Semaphore> = OnceLock::new();
    ENCODERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new(cores)
    })
}

/// Encodes `batches` into files with their final names, off the async workers.
pub async fn encode_batches(batches: Vec<FinishedBatch>) -> Result<Vec<PreparedFile>, EncodeError> {
    if batches.is_empty() {
        return Ok(Vec::new());
    }
    // The semaphore is never closed, so acquiring fails only if it were; encode anyway then.
    let _turn = encoders().acquire().await.ok();
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
