//! The lake's tables as Delta Lake tables: what makes a flush visible, all at once, to every
//! reader that reads the log (alarmlake, Athena, Spark, Trino, DuckDB's `delta_scan`).
//!
//! Each table lives at `<lake>/<table>/` with its log in `_delta_log/`; data files keep their
//! Hive folders (`date=…/hour=…/`), and the log's `partitionValues` say the same. A file that
//! no commit references is invisible, so writing files is no longer what publishes rows: the
//! commit is (docs/ARCHITECTURE.md, "Exactly-once").

mod convert;
mod existing;
mod rounds;
mod schema;
mod stats;
mod table_log;
mod tables;

pub use convert::{Converted, convert_table};
pub use existing::{add_for_existing, data_files};
pub use rounds::{Member, Rounds};
pub use schema::{CHECKPOINT_INTERVAL, PARTITION_COLUMNS, delta_schema};
pub use stats::file_stats;
pub use table_log::{LiveFile, TableLog, add_action, add_for};
pub use tables::{LakeTables, Published, Settled};

use deltalake_core::DeltaTableError;

use crate::lake::LakeError;

/// A source's progress in a commit: Delta's `txn` action. `app_id` names the application,
/// stream and shard; `version` increases with every flush of that shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardTxn {
    pub app_id: String,
    pub version: i64,
}

impl ShardTxn {
    /// The app id of a shard read by `application` from `stream`.
    pub fn app_id(application: &str, stream: &str, shard: &str) -> String {
        format!("alarmlake/{application}/{stream}/{shard}")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    #[error("table {table}: cannot describe its schema in Delta: {detail}")]
    Schema { table: &'static str, detail: String },
    #[error("table {table}: the folder holds a Delta table with a different schema: {detail}")]
    SchemaMismatch { table: &'static str, detail: String },
    #[error(
        "table {table}: the commit of {app_id} version {version} is refused: {}",
        match committed {
            Some(v) => format!("the table already holds version {v} of it"),
            None => "another commit of it landed first".to_string(),
        }
    )]
    Fenced {
        table: &'static str,
        app_id: String,
        version: i64,
        committed: Option<i64>,
    },
    #[error(
        "table {table}: {path} is no longer in the table (another compaction or retention run \
         changed it first); nothing was committed"
    )]
    Gone { table: &'static str, path: String },
    #[error(
        "table {table}: its folder holds Parquet files but no Delta log (a lake written by an \
         earlier alarmlake); run `alarmlake lake convert` first, so that those rows stay visible"
    )]
    Unconverted { table: &'static str },
    #[error(
        "lake {location}: the store does not refuse a second create of one object (conditional \
         puts, If-None-Match): Delta commits could overwrite each other; nothing was written"
    )]
    NoConditionalPuts { location: String },
    #[error("table {table}: the grouped commit failed: {detail}")]
    Group { table: &'static str, detail: String },
    #[error("table {table}: cannot read the footer of {path}: {detail}")]
    Footer {
        table: &'static str,
        path: String,
        detail: String,
    },
    #[error("table {table}: {source}")]
    Delta {
        table: &'static str,
        source: Box<DeltaTableError>,
    },
    #[error("{0}")]
    Lake(#[from] LakeError),
}

impl DeltaError {
    fn delta(table: alarmlake_schemas::Table, source: DeltaTableError) -> DeltaError {
        DeltaError::Delta {
            table: table.name(),
            source: Box::new(source),
        }
    }
}
