//! The Kinesis side of the consumer: the SDK client and what its errors mean for a reader.

mod answer_splitter;
mod client;
mod errors;
mod fan_out;
mod producer;
mod records_body;
mod wire_record;

pub use alarmlake_aws::http_clients::https_client;
pub use client::{Kinesis, KinesisOptions, RecordsPage, ShardInfo, StartAt, StreamSummary};
pub use errors::{ErrorKind, KinesisError};
pub use fan_out::{FanOut, check_consumer_name};
pub use producer::{HashRange, PutEntry, PutResult};
pub use records_body::{SplitAnswer, split_answer};
