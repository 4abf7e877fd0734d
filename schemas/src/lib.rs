//! The event model of alarmlake: decoders for every wire format the pipeline receives, and the
//! Arrow schemas and builders of the lake tables.
//!
//! Everything here is pure and synchronous: a [`RawRecord`] goes in, typed [`Outcome`]s come out,
//! and no input can make a decoder panic. I/O lives in the other crates.

pub mod alarmdecoder;
pub mod camera;
pub mod decode;
pub mod drift;
pub mod event;
pub mod json_flat;
pub mod json_probe;
pub mod json_scalar;
pub mod kpl;
pub mod mode;
pub mod msgpack;
pub mod outcome_json;
pub mod position;
pub mod reject;
pub mod sequence;
pub mod table;
pub mod tables;
pub mod timestamp;
pub mod timezone;

pub use decode::{BulkPolicy, Decoder, DecoderConfig};
pub use event::{Event, EventBody, Outcome, Tally};
pub use position::{RawRecord, RecordPosition};
pub use reject::{RejectReason, Rejected};
pub use table::Table;
pub use tables::LakeBatches;
pub use timezone::TimeZones;
