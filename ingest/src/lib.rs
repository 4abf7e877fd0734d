//! Sources of raw records: the Kinesis consumer (`alarmlake consume`) with checkpoints, the
//! ser2sock source, and files or stdin read a record per line (`for_each_record`).
//!
//! The front door is [`Consumer`]: give it a [`ConsumerConfig`] and a decoder, then
//! [`Consumer::run`] it until a stop is asked for. Inside, one task per shard reads, decodes
//! and buffers; every flush of a shard follows the intent → files → commit protocol of
//! `alarmlake_transform::commit`, which makes the lake exactly-once.
//!
//! Public beyond the front door: [`kinesis`], the client (the load generator puts records
//! through it), and [`cpu_note`], the summary's CPU figures that the benchmark reads back.

mod arrival_tally;
mod backoff;
mod bare_read;
mod check;
mod checkpoint;
mod consumer;
mod coordinator;
pub mod cpu_note;
mod health;
pub mod kinesis;
mod lease;
mod line_source;
mod metrics;
mod process_usage;
mod read_pace;
mod record_source;
mod shard;
mod tcp;
#[cfg(test)]
mod testing;
mod upkeep;

pub use backoff::Backoff;
pub use check::{CheckLine, CheckStatus};
pub use consumer::{
    ConsumeError, ConsumeSummary, Consumer, ConsumerConfig, EfoOptions, KinesisSource, Source,
    UPKEEP_GRACE,
};
pub use lease::LeaseOptions;
pub use line_source::{ReadError, for_each_record};
pub use upkeep::Upkeep;
