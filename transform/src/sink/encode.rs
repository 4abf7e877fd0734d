//! Off-thread encoding. Encoding a flush into Parquet is most of its cost, so it never runs on
//! the thread that decodes:
//! - [`encode_batches`], for async sources, runs on tokio's blocking pool: on a runtime worker
//!   it would stall the other shards' reads;
//! - [`EncoderThread`], for a synchronous feed ([`super::ingest_feed`]), is a second thread
//!   behind a bounded channel, so decoding and encoding use both cores and memory stays
//!   bounded (when encoding falls behind, the feed waits).
//!
//! At most one async flush per core is encoded at a time. *Why:* shards that caught up
//! together flush together, and encoding all of them at once gains nothing on a machine with
//! fewer cores than shards; it only holds every shard's sorted copy and Parquet buffers in
//! memory at the same time, each in fresh pages the kernel must fault in and zero. One after
//! another, each flush reuses the memory the one before it freed.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::writer::{FinishedBatch, PreparedFile, WriterError};

#[derive(Debug, thiserror::Error)]
pub enum FlushError {
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
pub async fn encode_batches(batches: Vec<FinishedBatch>) -> Result<Vec<PreparedFile>, FlushError> {
    if batches.is_empty() {
        return Ok(Vec::new());
    }
    // The semaphore is never closed, so acquiring fails only if it were; encode anyway then.
    let _turn = encoders().acquire().await.ok();
    let files = tokio::task::spawn_blocking(move || encode_all(&batches))
        .await
        .map_err(|e| FlushError::Join(e.to_string()))??;
    Ok(files)
}

/// Encodes on the calling thread.
pub(crate) fn encode_all(batches: &[FinishedBatch]) -> Result<Vec<PreparedFile>, WriterError> {
    batches.iter().map(FinishedBatch::encode).collect()
}
