//! `--table NAME` on the command line.

use alarmlake_schemas::Table;

/// Parses a lake table's name (clap value parser), listing the tables when it is unknown.
pub fn parse(name: &str) -> Result<Table, String> {
    Table::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
        format!(
            "unknown table {name:?}; the tables are {}",
            names.join(", ")
        )
    })
}
