//! The lake tables: their Arrow schemas and the builders that turn outcomes into record batches.
//!
//! Every table starts with the same position and time columns ([`common`]), so that any row can
//! be traced to one place in one stream, then has its own typed columns. `date` and `hour` are
//! not columns: they are the Hive partition folders, derived from `event_time` by the writer.

mod alarm_events;
mod bulk_records;
mod camera_media;
pub mod common;
mod dead_letters;
mod flag_columns;
mod mode_events;
mod sparse;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use crate::event::{EventBody, Outcome};
use crate::position::RecordPosition;

pub use alarm_events::AlarmEventsBuilder;
pub use bulk_records::BulkRecordsBuilder;
pub use camera_media::CameraMediaBuilder;
pub use dead_letters::DeadLettersBuilder;
pub use mode_events::ModeEventsBuilder;

/// Version of the table schemas, written into every Parquet file's metadata. Bump it when a
/// column is added or changes meaning, and record the change in docs/SCHEMAS.md.
///
/// 2: `alarm_events.extra` and `mode_events.extra` (fields kept outside the typed columns).
pub const SCHEMA_VERSION: &str = "2";
/// Metadata key of the schema version.
pub const SCHEMA_VERSION_KEY: &str = "alarmlake.schema_version";
/// Metadata key of the table name.
pub const TABLE_KEY: &str = "alarmlake.table";

pub use crate::table::Table;

/// The schemas live with the tables' builders; the enum itself is in `table.rs`, which the
/// event model can use without depending on this module.
impl Table {
    /// The table's Arrow schema: the common columns, then the table's own.
    pub fn schema(self) -> SchemaRef {
        let own = match self {
            Table::AlarmEvents => alarm_events::fields(),
            Table::ModeEvents => mode_events::fields(),
            Table::BulkRecords => bulk_records::fields(),
            Table::CameraMedia => camera_media::fields(),
            Table::DeadLetters => dead_letters::fields(),
        };
        let fields: Vec<Field> = common::fields().into_iter().chain(own).collect();
        let metadata = HashMap::from([
            (SCHEMA_VERSION_KEY.to_string(), SCHEMA_VERSION.to_string()),
            (TABLE_KEY.to_string(), self.name().to_string()),
        ]);
        Arc::new(Schema::new_with_metadata(fields, metadata))
    }
}

/// Builds record batches for all tables at once from decoded outcomes.
///
/// Chatter is counted by the caller and produces no row.
pub struct LakeBatches {
    ingest_time: DateTime<Utc>,
    alarm: AlarmEventsBuilder,
    mode: ModeEventsBuilder,
    bulk: BulkRecordsBuilder,
    camera: CameraMediaBuilder,
    dead: DeadLettersBuilder,
}

impl LakeBatches {
    /// `ingest_time` is stamped on every row: when alarmlake wrote it.
    pub fn new(ingest_time: DateTime<Utc>) -> Self {
        LakeBatches {
            ingest_time,
            alarm: AlarmEventsBuilder::with_capacity(0),
            mode: ModeEventsBuilder::with_capacity(0),
            bulk: BulkRecordsBuilder::with_capacity(0),
            camera: CameraMediaBuilder::with_capacity(0),
            dead: DeadLettersBuilder::with_capacity(0),
        }
    }

    /// Appends one outcome of a record at `position`.
    pub fn append(&mut self, position: &RecordPosition, outcome: &Outcome) {
        match outcome {
            Outcome::Event(event) => match &event.body {
                EventBody::Alarm(body) => self.alarm.append(position, event, body),
                EventBody::Mode(body) => self.mode.append(position, event, body),
                EventBody::Bulk(body) => self.bulk.append(position, event, body),
                EventBody::Camera(body) => self.camera.append(position, event, body),
            },
            Outcome::Rejected {
                index,
                site,
                rejected,
            } => self.dead.append(position, *index, site, rejected),
            Outcome::Chatter { .. } => {}
        }
    }

    /// Rows appended so far and not yet finished, over all tables.
    pub fn len(&self) -> usize {
        self.alarm.len() + self.mode.len() + self.bulk.len() + self.camera.len() + self.dead.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finishes one batch per table that has rows. Each builder is then renewed with room for
    /// as many rows as its last batch had: batches of a stream are alike, so the next one is
    /// built without growing (and copying) its buffers row by row.
    pub fn finish(&mut self) -> Result<Vec<(Table, RecordBatch)>, ArrowError> {
        let t = self.ingest_time;
        let parts = [
            (Table::AlarmEvents, renew(&mut self.alarm, t)),
            (Table::ModeEvents, renew(&mut self.mode, t)),
            (Table::BulkRecords, renew(&mut self.bulk, t)),
            (Table::CameraMedia, renew(&mut self.camera, t)),
            (Table::DeadLetters, renew(&mut self.dead, t)),
        ];
        let mut batches = Vec::new();
        for (table, columns) in parts {
            if columns.first().is_some_and(|c| !c.is_empty()) {
                batches.push((table, RecordBatch::try_new(table.schema(), columns)?));
            }
        }
        Ok(batches)
    }
}

/// What [`LakeBatches`] needs of each table's builder; `append` differs per table.
pub trait TableBuilder {
    /// Builders sized for `rows` rows, so that a batch does not grow its buffers row by row.
    fn with_capacity(rows: usize) -> Self;
    /// Rows appended and not yet finished.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The table's columns in schema order; the builder is left empty.
    fn finish(&mut self, ingest_time: DateTime<Utc>) -> Vec<ArrayRef>;
}

/// Finishes a builder's columns and renews it with room for as many rows as it had.
fn renew<B: TableBuilder>(builder: &mut B, ingest_time: DateTime<Utc>) -> Vec<ArrayRef> {
    let rows = builder.len();
    let columns = builder.finish(ingest_time);
    *builder = B::with_capacity(rows);
    columns
}
