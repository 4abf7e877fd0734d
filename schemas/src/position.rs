//! Where a record came from. The position is an event's identity in the lake: de-duplication
//! and exactly-once are built on it, so every row can be traced to one place in one stream.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The origin of one record: a Kinesis record, or a line of a file, stdin or ser2sock stream.
///
/// File-like sources have no shards or sequence numbers, so they map onto the same fields:
/// `stream` names the kind of source (`file`, `stdin`, `tcp://host:port`), `shard_id` the file
/// or connection, and `sequence_number` the line number. That keeps one position shape for
/// every table and every source.
///
/// `stream` and `shard_id` are shared: every record of a shard carries the same two names, and
/// a string of its own for each was two allocations per record on the consumer's hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPosition {
    pub stream: Arc<str>,
    pub shard_id: Arc<str>,
    /// Kinesis sequence numbers are decimal strings of up to 129 digits; see [`crate::sequence`].
    pub sequence_number: String,
    /// Index of a user record inside a KPL aggregate; 0 for plain records.
    pub sub_sequence_number: u64,
    pub partition_key: Option<String>,
    /// When the stream accepted the record (Kinesis `ApproximateArrivalTimestamp`), or when a
    /// file-like source read it.
    pub arrival_time: DateTime<Utc>,
}

impl RecordPosition {
    /// The position of line `line` (1-based) of a file-like source.
    pub fn line(stream: &str, source: &str, line: u64, arrival_time: DateTime<Utc>) -> Self {
        RecordPosition {
            stream: stream.into(),
            shard_id: source.into(),
            sequence_number: line.to_string(),
            sub_sequence_number: 0,
            partition_key: None,
            arrival_time,
        }
    }
}

/// One record as read from a source, before any decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub data: Vec<u8>,
    pub position: RecordPosition,
}
