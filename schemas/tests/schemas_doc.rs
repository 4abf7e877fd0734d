//! docs/SCHEMAS.md documents every column of every table, and the current schema version.

use alarmlake_schemas::Table;
use alarmlake_schemas::tables::SCHEMA_VERSION;

const DOC: &str = include_str!("../../docs/SCHEMAS.md");

#[test]
fn every_column_and_the_current_version_are_documented() {
    for table in Table::ALL {
        assert!(
            DOC.contains(&format!("`{}`", table.name())),
            "{} is not documented",
            table.name()
        );
        for field in table.schema().fields() {
            assert!(
                DOC.contains(&format!("`{}`", field.name())),
                "{}.{} is not in docs/SCHEMAS.md",
                table.name(),
                field.name()
            );
        }
    }
    assert!(
        DOC.contains(&format!("\n| {SCHEMA_VERSION} |")),
        "version {SCHEMA_VERSION} is not in the version table"
    );
}
