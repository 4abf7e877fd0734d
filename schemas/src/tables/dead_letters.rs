//! `dead_letters`: every record or line that could not be decoded, with the reason, the error
//! text and the raw bytes, so it can be inspected with SQL, fixed and replayed.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use chrono::{DateTime, Utc};

use super::TableBuilder;
use super::common::CommonBuilder;
use crate::position::RecordPosition;
use crate::reject::Rejected;

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, false),
        Field::new("raw", DataType::Binary, false),
    ]
}

pub struct DeadLettersBuilder {
    common: CommonBuilder,
    reason: StringBuilder,
    detail: StringBuilder,
    raw: BinaryBuilder,
}

impl DeadLettersBuilder {
    /// A dead letter has no event time of its own; it is filed under its arrival time.
    pub fn append(
        &mut self,
        position: &RecordPosition,
        index: u32,
        site: &str,
        rejected: &Rejected,
    ) {
        self.common
            .append(position, site, position.arrival_time, index);
        self.reason.append_value(rejected.reason.as_str());
        self.detail.append_value(&rejected.detail);
        self.raw.append_value(&rejected.raw);
    }
}

impl TableBuilder for DeadLettersBuilder {
    /// Builders sized for `rows` rows (see [`CommonBuilder::with_capacity`]).
    fn with_capacity(rows: usize) -> Self {
        DeadLettersBuilder {
            common: CommonBuilder::with_capacity(rows),
            reason: StringBuilder::with_capacity(rows, rows * 16),
            detail: StringBuilder::with_capacity(rows, rows * 48),
            raw: BinaryBuilder::with_capacity(rows, rows * 64),
        }
    }

    fn len(&self) -> usize {
        self.common.len()
    }

    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
        let mut columns = self.common.finish(ingest_time);
        columns.extend([
            Arc::new(self.reason.finish()) as ArrayRef,
            Arc::new(self.detail.finish()),
            Arc::new(self.raw.finish()),
        ]);
        columns
    }
}
