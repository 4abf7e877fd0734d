//! SQL over the lake: an embedded DataFusion session with every lake table registered.
//!
//! Depends on `schemas` only (for the table schemas), never on the writer: reading the lake
//! needs nothing but the files.

pub mod athena;
pub mod charts;
mod hour_folders;
pub mod output;
pub mod repl;
mod replace_nodes;
pub mod reports;
mod run_sort;
mod script;
mod session;
mod tuning;
mod whole_partition_windows;

pub use output::{OutputFormat, write_batches};
pub use script::statements;
pub use session::{LakeSession, QueryError, SessionOptions};
