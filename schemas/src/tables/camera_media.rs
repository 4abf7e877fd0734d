//! `camera_media`: snapshots and videos uploaded by IP cameras, one row per object.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::TableBuilder;
use super::common::{CommonBuilder, timestamp_type};
use crate::camera::CameraMedia;
use crate::event::Event;
use crate::position::RecordPosition;

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("camera", DataType::Utf8, false),
        Field::new("media_kind", DataType::Utf8, false),
        Field::new("capture_time", timestamp_type(), false),
        Field::new("size", DataType::Int64, true),
        Field::new("key", DataType::Utf8, false),
        Field::new("file_name", DataType::Utf8, false),
        Field::new("bucket", DataType::Utf8, true),
        Field::new("etag", DataType::Utf8, true),
        Field::new("event_name", DataType::Utf8, false),
    ]
}

pub struct CameraMediaBuilder {
    common: CommonBuilder,
    camera: StringBuilder,
    media_kind: StringBuilder,
    capture_time: TimestampMicrosecondBuilder,
    size: Int64Builder,
    key: StringBuilder,
    file_name: StringBuilder,
    bucket: StringBuilder,
    etag: StringBuilder,
    event_name: StringBuilder,
}

impl CameraMediaBuilder {
    pub fn append(&mut self, position: &RecordPosition, event: &Event, body: &CameraMedia) {
        self.common
            .append(position, &event.site, event.event_time, event.index);
        self.camera.append_value(&body.camera);
        self.media_kind.append_value(body.media_kind.as_str());
        self.capture_time
            .append_value(body.capture_time.timestamp_micros());
        self.size.append_option(body.size);
        self.key.append_value(&body.key);
        self.file_name.append_value(&body.file_name);
        self.bucket.append_option(body.bucket.as_deref());
        self.etag.append_option(body.etag.as_deref());
        self.event_name.append_value(&body.event_name);
    }
}

impl TableBuilder for CameraMediaBuilder {
    /// Builders sized for `rows` rows (see [`CommonBuilder::with_capacity`]).
    fn with_capacity(rows: usize) -> Self {
        let strings = |bytes: usize| StringBuilder::with_capacity(rows, rows * bytes);
        CameraMediaBuilder {
            common: CommonBuilder::with_capacity(rows),
            camera: strings(12),
            media_kind: strings(8),
            capture_time: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            size: Int64Builder::with_capacity(rows),
            key: strings(64),
            file_name: strings(24),
            bucket: strings(16),
            etag: strings(32),
            event_name: strings(20),
        }
    }

    fn len(&self) -> usize {
        self.common.len()
    }

    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let mut columns = self.common.finish(ingest_time);
        columns.extend([
            Arc::new(self.camera.finish()) as ArrayRef,
            Arc::new(self.media_kind.finish()),
            Arc::new(self.capture_time.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.file_name.finish()),
            Arc::new(self.bucket.finish()),
            Arc::new(self.etag.finish()),
            Arc::new(self.event_name.finish()),
        ]);
        columns
    }
}
