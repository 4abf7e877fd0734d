//! SQL over the lake: an embedded DataFusion session with every lake table registered.
//!
//! Depends on `schemas` (for the table schemas) and the table format (`deltalake-core`, for
//! each table's snapshot), never on the writer: reading the lake needs nothing but its files
//! and logs.

pub mod athena;
pub mod charts;
mod committed_files;
pub mod completion;
mod data_skipping;
mod forward_table;
mod hour_folders;
pub mod local_time;
mod log_statistics;
pub mod output;
pub mod repl;
mod replace_nodes;
pub mod reports;
mod run_sort;
mod script;
mod session;
pub mod sites;
mod snapshots;
mod table_history;
mod tuning;
mod whole_partition_windows;

pub use output::{OutputFormat, write_batches};
pub use script::statements;
pub use session::{LakeSession, QueryError, SessionOptions};
pub use snapshots::AsOf;
