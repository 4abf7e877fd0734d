//! The producer's side of the client: what the load generator and the benchmark harness need
//! (create a stream, map keys to shards, put records), so that no caller outside this module
//! reaches for the raw SDK client.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};

use super::client::Kinesis;
use super::errors::{ErrorKind, KinesisError};

/// How long [`Kinesis::create_stream`] waits for a new stream to become active.
const ACTIVE_WITHIN: Duration = Duration::from_secs(300);

/// One open shard and the hash keys it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashRange {
    pub first: u128,
    pub last: u128,
    pub shard_id: String,
}

/// One record for PutRecords.
#[derive(Debug, Clone, Copy)]
pub struct PutEntry<'a> {
    pub partition_key: &'a str,
    pub data: &'a [u8],
}

/// What PutRecords said of one record, in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutResult {
    /// Stored at this position.
    Stored {
        shard_id: String,
        sequence_number: String,
    },
    /// Refused (throttled or failed inside the stream): it may be sent again.
    Refused,
}

impl Kinesis {
    /// Creates the stream with `shards` shards (an existing one is reused) and waits until it
    /// is active.
    pub async fn create_stream(&self, shards: i32) -> Result<(), KinesisError> {
        let created = self
            .client()
            .create_stream()
            .stream_name(self.stream())
            .shard_count(shards)
            .send()
            .await;
        if let Err(e) = created {
            let error = KinesisError::from_sdk("CreateStream", e);
            // Reusing a stream that exists is fine (the harness does).
            if !error.message.contains("ResourceInUse") {
                return Err(error);
            }
        }
        let deadline = Instant::now() + ACTIVE_WITHIN;
        loop {
            let summary = self
                .client()
                .describe_stream_summary()
                .stream_name(self.stream())
                .send()
                .await
                .map_err(|e| KinesisError::from_sdk("DescribeStreamSummary", e))?;
            if summary
                .stream_description_summary()
                .is_some_and(|s| *s.stream_status() == StreamStatus::Active)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(KinesisError {
                    kind: ErrorKind::Other,
                    operation: "CreateStream",
                    message: format!("stream {} did not become active", self.stream()),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The open shards with their hash key ranges (following pagination).
    pub async fn open_hash_ranges(&self) -> Result<Vec<HashRange>, KinesisError> {
        let mut ranges = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match &token {
                Some(token) => self.client().list_shards().next_token(token),
                None => self.client().list_shards().stream_name(self.stream()),
            };
            let page = request
                .send()
                .await
                .map_err(|e| KinesisError::from_sdk("ListShards", e))?;
            for shard in page.shards() {
                let open = shard
                    .sequence_number_range()
                    .is_none_or(|r| r.ending_sequence_number().is_none());
                let bounds = shard.hash_key_range().and_then(|r| {
                    Some((
                        r.starting_hash_key().parse::<u128>().ok()?,
                        r.ending_hash_key().parse::<u128>().ok()?,
                    ))
                });
                if let (true, Some((first, last))) = (open, bounds) {
                    ranges.push(HashRange {
                        first,
                        last,
                        shard_id: shard.shard_id().to_string(),
                    });
                }
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(ranges),
            }
        }
    }

    /// One PutRecords call: the result of each record in order. A failed call is an error (the
    /// caller decides whether to send again); an answer whose results do not match the records
    /// one for one is an error too, since it cannot say which records were stored.
    pub async fn put_records(
        &self,
        records: &[PutEntry<'_>],
    ) -> Result<Vec<PutResult>, KinesisError> {
        let entries = records
            .iter()
            .map(|entry| {
                PutRecordsRequestEntry::builder()
                    .partition_key(entry.partition_key)
                    .data(Blob::new(entry.data))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| KinesisError {
                kind: ErrorKind::Other,
                operation: "PutRecords",
                message: format!("cannot build an entry: {e}"),
            })?;
        let answer = self
            .client()
            .put_records()
            .stream_name(self.stream())
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("PutRecords", e))?;
        if answer.records().len() != records.len() {
            return Err(KinesisError {
                kind: ErrorKind::Other,
                operation: "PutRecords",
                message: format!(
                    "answered {} results for {} records",
                    answer.records().len(),
                    records.len()
                ),
            });
        }
        Ok(answer
            .records()
            .iter()
            .map(|result| {
                match (
                    result.error_code(),
                    result.shard_id(),
                    result.sequence_number(),
                ) {
                    (None, Some(shard), Some(sequence)) => PutResult::Stored {
                        shard_id: shard.to_string(),
                        sequence_number: sequence.to_string(),
                    },
                    _ => PutResult::Refused,
                }
            })
            .collect())
    }
}
