//! Sources of raw records with checkpoints: the Kinesis consumer (`alarmlake consume`).
//!
//! One task per shard reads, decodes and buffers; every flush of a shard follows the
//! intent → files → commit protocol of [`checkpoint`], which makes the lake exactly-once.

pub mod backoff;
pub mod checkpoint;
pub mod consumer;
pub mod cpu_note;
pub mod encode;
pub mod kinesis;
pub mod lease;
pub mod maintenance;
pub mod metrics;
pub mod metrics_server;
pub mod process_usage;
pub mod read_pace;
pub mod shard;
pub mod tcp;

pub use backoff::Backoff;
