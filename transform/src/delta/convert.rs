//! `alarmlake lake convert`: turning a table folder written by an alarmlake that wrote no Delta
//! log (plain Hive Parquet) into a Delta table in place. No file moves: the log's first commit
//! registers every data file, with statistics from its footer, so the table is converted all
//! at once or not at all.

use std::collections::HashSet;

use alarmlake_schemas::Table;

use super::{DeltaError, TableLog, add_for_existing, data_files};
use crate::lake::Lake;

/// What converting one table did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converted {
    /// Its folder already holds a Delta table: nothing to do.
    AlreadyDelta,
    /// Its folder holds no data files: nothing to register (a later writer creates the log).
    Empty,
    /// A log was created that registers `files` files of `bytes` bytes.
    Registered { files: usize, bytes: u64 },
}

impl std::fmt::Display for Converted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Converted::AlreadyDelta => write!(f, "already a Delta table"),
            Converted::Empty => write!(f, "no data files"),
            Converted::Registered { files, bytes } => write!(
                f,
                "registered {files} file{} ({:.1} MB) in version 0",
                if *files == 1 { "" } else { "s" },
                *bytes as f64 / 1e6
            ),
        }
    }
}

/// Converts `table`'s folder, leaving out `uncommitted` (files of flushes that never
/// committed). The caller makes sure no writer is between files and commit (see
/// `maintenance::convert_lake`).
pub async fn convert_table(
    lake: &Lake,
    table: Table,
    uncommitted: &HashSet<String>,
) -> Result<Converted, DeltaError> {
    if TableLog::open(lake, table).await?.is_some() {
        return Ok(Converted::AlreadyDelta);
    }
    let mut files = data_files(lake, table, 0).await?;
    files.retain(|(path, _)| !uncommitted.contains(path));
    if files.is_empty() {
        return Ok(Converted::Empty);
    }
    let mut adds = Vec::with_capacity(files.len());
    for (path, size) in &files {
        adds.push(add_for_existing(lake, table, path, *size).await?);
    }
    TableLog::create(lake, table, adds).await?;
    Ok(Converted::Registered {
        files: files.len(),
        bytes: files.iter().map(|(_, size)| size).sum(),
    })
}
