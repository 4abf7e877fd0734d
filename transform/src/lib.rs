//! The lake writer: decoded outcomes in, Hive-partitioned Parquet files out, through
//! `object_store`, on a local folder or S3.
//!
//! The writer never does I/O behind the caller's back. [`LakeWriter::append`] only buffers;
//! [`LakeWriter::take_due`] and [`LakeWriter::take_all`] encode the buffers that are due into
//! [`PreparedFile`]s with deterministic names; [`Lake::write`] makes them durable, one atomic
//! `put` each. Between the last two steps a consumer records its intent (the exact file names),
//! which is what the exactly-once protocol (docs/ARCHITECTURE.md, "Exactly-once: intent, files,
//! commit") needs; [`Lake::delete`] removes a batch's files by name after a crash. Every source
//! reaches the writer through [`sink::Sink`], and the protocol itself lives in [`commit`].

mod closed_partitions;
pub mod commit;
pub mod compaction;
pub mod confirmed_puts;
pub mod delta;
mod file_name;
mod file_order;
mod footer;
mod lake;
pub mod late_rows;
pub mod maintenance;
mod parquet_file;
mod partition;
mod positions;
pub mod probe;
pub mod retention;
pub mod sink;
#[doc(hidden)]
pub mod testing;
mod writer;
mod writer_schema;

pub use parquet_file::EncodeError;

pub use closed_partitions::ClosedPartition;
pub use file_name::file_name;
pub use lake::{Lake, LakeError, WrittenFile, refusal, refusal_in_chain};
pub use parquet_file::{Encoded, POSITIONS_KEY, encode};
pub use partition::{PartitionError, PartitionKey, hive_escape};
pub use positions::{Position, PositionRange, SourceRange};
pub use writer::{FinishedBatch, LakeWriter, PreparedFile, WriterConfig, WriterError};
