//! `mode_events`: MODE IoT events. `event_data` is the JSON text the device sent.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::TableBuilder;
use super::common::CommonBuilder;
use crate::event::Event;
use crate::mode::ModeEvent;
use crate::position::RecordPosition;

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("home_id", DataType::Int64, false),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("timestamp", DataType::Utf8, false),
        Field::new("event_data", DataType::Utf8, false),
        Field::new("origin_device_id", DataType::Int64, true),
        Field::new("origin_device_class", DataType::Utf8, true),
        Field::new("origin_device_ip", DataType::Utf8, true),
        Field::new("origin_project_key_id", DataType::Utf8, true),
        Field::new("origin_project_key_name", DataType::Utf8, true),
        Field::new("extra", DataType::Utf8, true),
    ]
}

pub struct ModeEventsBuilder {
    common: CommonBuilder,
    home_id: Int64Builder,
    event_type: StringBuilder,
    timestamp: StringBuilder,
    event_data: StringBuilder,
    origin_device_id: Int64Builder,
    origin_device_class: StringBuilder,
    origin_device_ip: StringBuilder,
    origin_project_key_id: StringBuilder,
    origin_project_key_name: StringBuilder,
    extra: StringBuilder,
}

impl ModeEventsBuilder {
    pub fn append(&mut self, position: &RecordPosition, event: &Event, body: &ModeEvent) {
        self.common
            .append(position, &event.site, event.event_time, event.index);
        self.home_id.append_value(body.home_id);
        self.event_type.append_value(&body.event_type);
        self.timestamp.append_value(&body.timestamp);
        self.event_data.append_value(&body.event_data);
        self.origin_device_id.append_option(body.origin_device_id);
        self.origin_device_class
            .append_option(body.origin_device_class.as_deref());
        self.origin_device_ip
            .append_option(body.origin_device_ip.as_deref());
        self.origin_project_key_id
            .append_option(body.origin_project_key_id.as_deref());
        self.origin_project_key_name
            .append_option(body.origin_project_key_name.as_deref());
        self.extra
            .append_option(event.extra.as_ref().map(|e| e.json.as_str()));
    }
}

impl TableBuilder for ModeEventsBuilder {
    /// Builders sized for `rows` rows (see [`CommonBuilder::with_capacity`]).
    fn with_capacity(rows: usize) -> Self {
        let strings = |bytes: usize| StringBuilder::with_capacity(rows, rows * bytes);
        ModeEventsBuilder {
            common: CommonBuilder::with_capacity(rows),
            home_id: Int64Builder::with_capacity(rows),
            event_type: strings(12),
            timestamp: strings(24),
            event_data: strings(64),
            origin_device_id: Int64Builder::with_capacity(rows),
            origin_device_class: strings(8),
            origin_device_ip: strings(8),
            origin_project_key_id: strings(8),
            origin_project_key_name: strings(8),
            extra: strings(0),
        }
    }

    fn len(&self) -> usize {
        self.common.len()
    }

    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let mut columns = self.common.finish(ingest_time);
        columns.extend([
            Arc::new(self.home_id.finish()) as ArrayRef,
            Arc::new(self.event_type.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.event_data.finish()),
            Arc::new(self.origin_device_id.finish()),
            Arc::new(self.origin_device_class.finish()),
            Arc::new(self.origin_device_ip.finish()),
            Arc::new(self.origin_project_key_id.finish()),
            Arc::new(self.origin_project_key_name.finish()),
            Arc::new(self.extra.finish()),
        ]);
        columns
    }
}
