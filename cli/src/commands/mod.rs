//! One module per subcommand.

pub mod athena_ddl;
pub mod bench;
pub mod compact;
pub mod consume;
pub mod decode;
pub mod demo;
pub mod generate;
pub mod ingest_file;
pub mod lake;
pub mod loadgen;
pub mod report;
pub mod retain;
pub mod sql;
