//! One PutRecords batch: up to 500 records and 5 MB. Records the stream refuses inside a batch
//! (ProvisionedThroughputExceeded, InternalFailure) are sent again after a backoff, and only
//! those; a call that fails as a whole is retried if the error is transient.
//!
//! A call that failed as a whole may still have stored its records: a timeout or a lost answer
//! says nothing about what the stream did. Kinesis has no idempotent put, so sending again is
//! the only way not to lose them, and it may store them twice. Those records are counted
//! (`maybe_doubled_*`), so that the manifest says how many events the stream may hold twice
//! and the benchmark's exactly-once check can tell the producer's duplicates from the
//! consumer's. The client given here must make one attempt per call
//! (`Kinesis::single_attempt`), or the SDK's own retries would store batches twice without
//! anyone counting them.

use std::time::Duration;

use alarmlake_ingest::Backoff;
use alarmlake_ingest::kinesis::{ErrorKind, Kinesis, PutEntry, PutResult};
use anyhow::Result;

/// PutRecords limits.
pub const MAX_RECORDS: usize = 500;
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// One Kinesis record to put.
#[derive(Debug, Clone)]
pub struct Entry {
    pub partition_key: String,
    pub data: Vec<u8>,
    /// User records inside (1, or more for a KPL aggregate).
    pub events: u32,
}

impl Entry {
    /// What counts against the 5 MB limit of a call and the 1 MiB/s of a shard.
    pub fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

/// A record the stream accepted.
#[derive(Debug, Clone)]
pub struct Acknowledged {
    pub shard_id: String,
    pub sequence_number: String,
    pub events: u32,
    pub bytes: usize,
}

/// What sending one batch took.
#[derive(Debug, Default)]
pub struct Sent {
    pub acknowledged: Vec<Acknowledged>,
    pub retried_records: u64,
    pub retried_calls: u64,
    /// Records sent again after a call whose outcome was unknown (they may be in the stream
    /// twice), and the events inside them.
    pub maybe_doubled_records: u64,
    pub maybe_doubled_events: u64,
}

/// Sends `batch`, retrying refused records until all are in.
pub async fn send(kinesis: &Kinesis, batch: Vec<Entry>) -> Result<Sent> {
    let mut pending = batch;
    let mut sent = Sent::default();
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    while !pending.is_empty() {
        let entries: Vec<PutEntry<'_>> = pending
            .iter()
            .map(|entry| PutEntry {
                partition_key: &entry.partition_key,
                data: &entry.data,
            })
            .collect();
        let results = match kinesis.put_records(&entries).await {
            Ok(results) => results,
            Err(error) => {
                if !error.retryable() {
                    return Err(error.into());
                }
                // Throttling refuses the whole call before storing anything; a timeout, a lost
                // connection or a 5xx may come after the records were stored.
                if error.kind == ErrorKind::Transient {
                    sent.maybe_doubled_records += pending.len() as u64;
                    sent.maybe_doubled_events +=
                        pending.iter().map(|e| u64::from(e.events)).sum::<u64>();
                }
                sent.retried_calls += 1;
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let mut refused = Vec::new();
        for (entry, result) in pending.into_iter().zip(results) {
            match result {
                PutResult::Stored {
                    shard_id,
                    sequence_number,
                } => sent.acknowledged.push(Acknowledged {
                    shard_id,
                    sequence_number,
                    events: entry.events,
                    bytes: entry.size(),
                }),
                PutResult::Refused => refused.push(entry),
            }
        }
        if !refused.is_empty() {
            sent.retried_records += refused.len() as u64;
            tokio::time::sleep(backoff.next_delay()).await;
        }
        pending = refused;
    }
    Ok(sent)
}
