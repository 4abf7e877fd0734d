//! `bulk_records`: opaque MODE bulk-data payloads, with their size and sniffed content type.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryBuilder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::TableBuilder;
use super::common::CommonBuilder;
use crate::event::Event;
use crate::mode::BulkRecord;
use crate::position::RecordPosition;

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("payload", DataType::Binary, false),
        Field::new("size", DataType::Int64, false),
        Field::new("content_type", DataType::Utf8, false),
    ]
}

pub struct BulkRecordsBuilder {
    common: CommonBuilder,
    payload: BinaryBuilder,
    size: Int64Builder,
    content_type: StringBuilder,
}

impl BulkRecordsBuilder {
    pub fn append(&mut self, position: &RecordPosition, event: &Event, body: &BulkRecord) {
        self.common
            .append(position, &event.site, event.event_time, event.index);
        self.payload.append_value(&body.payload);
        self.size.append_value(body.payload.len() as i64);
        self.content_type.append_value(body.content_type.as_str());
    }
}

impl TableBuilder for BulkRecordsBuilder {
    /// Builders sized for `rows` rows (see [`CommonBuilder::with_capacity`]).
    fn with_capacity(rows: usize) -> Self {
        BulkRecordsBuilder {
            common: CommonBuilder::with_capacity(rows),
            payload: BinaryBuilder::with_capacity(rows, rows * 64),
            size: Int64Builder::with_capacity(rows),
            content_type: StringBuilder::with_capacity(rows, rows * 6),
        }
    }

    fn len(&self) -> usize {
        self.common.len()
    }

    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let mut columns = self.common.finish(ingest_time);
        columns.extend([
            Arc::new(self.payload.finish()) as ArrayRef,
            Arc::new(self.size.finish()),
            Arc::new(self.content_type.finish()),
        ]);
        columns
    }
}
