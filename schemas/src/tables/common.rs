//! The columns every table starts with: the site, the times, and the stream position.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, StringBuilder, TimestampMicrosecondArray, TimestampMicrosecondBuilder,
    UInt32Builder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, TimeUnit};
use chrono::{DateTime, Utc};

use crate::position::RecordPosition;

/// Microsecond timestamps in UTC: what Athena, DuckDB and Spark all read as a timestamp.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("site", DataType::Utf8, false),
        Field::new("event_time", timestamp_type(), false),
        Field::new("arrival_time", timestamp_type(), false),
        Field::new("ingest_time", timestamp_type(), false),
        Field::new("stream", DataType::Utf8, false),
        Field::new("shard_id", DataType::Utf8, false),
        Field::new("sequence_number", DataType::Utf8, false),
        Field::new("sub_sequence_number", DataType::UInt64, false),
        Field::new("event_index", DataType::UInt32, false),
        Field::new("partition_key", DataType::Utf8, true),
    ]
}

/// Builders of the common columns.
pub struct CommonBuilder {
    site: StringBuilder,
    event_time: TimestampMicrosecondBuilder,
    arrival_time: TimestampMicrosecondBuilder,
    stream: StringBuilder,
    shard_id: StringBuilder,
    sequence_number: StringBuilder,
    sub_sequence_number: UInt64Builder,
    event_index: UInt32Builder,
    partition_key: StringBuilder,
}

impl CommonBuilder {
    /// Builders sized for `rows` rows, so that a batch does not grow its buffers row by row.
    pub fn with_capacity(rows: usize) -> Self {
        let timestamps = || TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
        CommonBuilder {
            site: StringBuilder::with_capacity(rows, rows * 12),
            event_time: timestamps(),
            arrival_time: timestamps(),
            stream: StringBuilder::with_capacity(rows, rows * 12),
            shard_id: StringBuilder::with_capacity(rows, rows * 20),
            sequence_number: StringBuilder::with_capacity(rows, rows * 56),
            sub_sequence_number: UInt64Builder::with_capacity(rows),
            event_index: UInt32Builder::with_capacity(rows),
            partition_key: StringBuilder::with_capacity(rows, rows * 12),
        }
    }

    pub fn append(
        &mut self,
        position: &RecordPosition,
        site: &str,
        event_time: DateTime<Utc>,
        event_index: u32,
    ) {
        self.site.append_value(site);
        self.event_time.append_value(event_time.timestamp_micros());
        self.arrival_time
            .append_value(position.arrival_time.timestamp_micros());
        self.stream.append_value(&position.stream);
        self.shard_id.append_value(&position.shard_id);
        self.sequence_number.append_value(&position.sequence_number);
        self.sub_sequence_number
            .append_value(position.sub_sequence_number);
        self.event_index.append_value(event_index);
        self.partition_key
            .append_option(position.partition_key.as_deref());
    }

    pub fn len(&self) -> usize {
        self.event_index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finishes the common columns; every row gets the same `ingest_time`.
    pub fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let rows = self.len();
        let ingest = TimestampMicrosecondArray::from(vec![ingest_time.timestamp_micros(); rows])
            .with_timezone("UTC");
        vec![
            Arc::new(self.site.finish()),
            Arc::new(self.event_time.finish()),
            Arc::new(self.arrival_time.finish()),
            Arc::new(ingest),
            Arc::new(self.stream.finish()),
            Arc::new(self.shard_id.finish()),
            Arc::new(self.sequence_number.finish()),
            Arc::new(self.sub_sequence_number.finish()),
            Arc::new(self.event_index.finish()),
            Arc::new(self.partition_key.finish()),
        ]
    }
}
