//! MODE IoT platform records: JSON events from the Kinesis smart module, and opaque bulk data.

pub mod bulk;
pub mod event;

pub use bulk::{BulkRecord, ContentType};
pub use event::ModeEvent;
