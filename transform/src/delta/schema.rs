//! A lake table's Delta schema and table properties.
//!
//! The Delta schema is the table's Arrow schema (`schemas/`) followed by the partition
//! columns, `date` (a date) and `hour` (an integer): in Delta, partition columns belong to the
//! table's schema but not to its data files, whose values come from each file's
//! `partitionValues` instead.

use std::collections::HashMap;

use alarmlake_schemas::Table;
use deltalake_core::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake_core::kernel::{DataType, PrimitiveType, StructField, StructType};

use super::DeltaError;

/// The partition columns, in the order of the folders (`date=…/hour=…`).
pub const PARTITION_COLUMNS: [&str; 2] = ["date", "hour"];

/// Commits between two Parquet checkpoints of the log: a reader replays at most this many JSON
/// commits on top of the newest checkpoint, however long the history.
pub const CHECKPOINT_INTERVAL: u32 = 100;

/// The Delta schema of `table`.
pub fn delta_schema(table: Table) -> Result<StructType, DeltaError> {
    let data =
        StructType::try_from_arrow(table.schema().as_ref()).map_err(|e| DeltaError::Schema {
            table: table.name(),
            detail: e.to_string(),
        })?;
    let partitions = [
        StructField::nullable(
            PARTITION_COLUMNS[0],
            DataType::Primitive(PrimitiveType::Date),
        ),
        StructField::nullable(
            PARTITION_COLUMNS[1],
            DataType::Primitive(PrimitiveType::Integer),
        ),
    ];
    StructType::try_new(data.fields().cloned().chain(partitions)).map_err(|e| DeltaError::Schema {
        table: table.name(),
        detail: e.to_string(),
    })
}

/// The table properties alarmlake creates its tables with.
///
/// - statistics for every column, not Delta's default first 32 (`alarm_events` has more, and
///   its zone and message columns come after the 32nd);
/// - a checkpoint every [`CHECKPOINT_INTERVAL`] commits;
/// - Delta's own defaults for how long removed files and old log entries are kept (7 and 30
///   days), written out so that they are visible in the log.
pub fn table_properties() -> HashMap<String, String> {
    [
        ("delta.dataSkippingNumIndexedCols", "-1".to_string()),
        ("delta.checkpointInterval", CHECKPOINT_INTERVAL.to_string()),
        (
            "delta.deletedFileRetentionDuration",
            "interval 7 days".to_string(),
        ),
        ("delta.logRetentionDuration", "interval 30 days".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// How an existing table's schema relates to the one this version of alarmlake writes.
#[derive(Debug, PartialEq)]
pub enum SchemaFit {
    Same,
    /// The existing schema lacks columns that this version adds (all nullable): a metadata
    /// update adds them, and files written before read them as nulls.
    Grows(Vec<String>),
    /// A column is missing, has another type, or the order differs: not this table.
    Differs(String),
}

/// Compares an existing table's schema with the expected one.
pub fn fit(existing: &StructType, expected: &StructType) -> SchemaFit {
    for field in existing.fields() {
        match expected.field(field.name()) {
            None => {
                return SchemaFit::Differs(format!(
                    "the table has a column {:?} that alarmlake does not write",
                    field.name()
                ));
            }
            Some(ours) if ours.data_type() != field.data_type() => {
                return SchemaFit::Differs(format!(
                    "column {:?} is {} in the table but {} in alarmlake",
                    field.name(),
                    field.data_type(),
                    ours.data_type()
                ));
            }
            Some(_) => {}
        }
    }
    let added: Vec<String> = expected
        .fields()
        .filter(|f| existing.field(f.name()).is_none())
        .map(|f| f.name().clone())
        .collect();
    if added.is_empty() {
        return SchemaFit::Same;
    }
    if let Some(required) = expected
        .fields()
        .find(|f| existing.field(f.name()).is_none() && !f.is_nullable())
    {
        return SchemaFit::Differs(format!(
            "column {:?} is required but the table does not have it",
            required.name()
        ));
    }
    SchemaFit::Grows(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_delta_schema_with_its_partition_columns_last() {
        for table in Table::ALL {
            let schema = delta_schema(table).unwrap();
            let names: Vec<&String> = schema.fields().map(|f| f.name()).collect();
            assert_eq!(names.len(), table.schema().fields().len() + 2, "{table:?}");
            assert_eq!(names[names.len() - 2..], ["date", "hour"]);
            assert_eq!(names[0], "site");
            assert_eq!(fit(&schema, &schema), SchemaFit::Same);
        }
    }

    #[test]
    fn an_older_schema_grows_and_a_foreign_one_differs() {
        let ours = delta_schema(Table::ModeEvents).unwrap();
        let nullable_last: Vec<StructField> = ours
            .fields()
            .filter(|f| f.name() != "extra")
            .cloned()
            .collect();
        let older = StructType::try_new(nullable_last).unwrap();
        assert_eq!(fit(&older, &ours), SchemaFit::Grows(vec!["extra".into()]));
        let retyped = StructType::try_new(ours.fields().map(|f| {
            if f.name() == "home_id" {
                StructField::nullable("home_id", DataType::Primitive(PrimitiveType::String))
            } else {
                f.clone()
            }
        }))
        .unwrap();
        assert!(matches!(fit(&retyped, &ours), SchemaFit::Differs(d) if d.contains("home_id")));
        let foreign = StructType::try_new([StructField::nullable(
            "id",
            DataType::Primitive(PrimitiveType::Long),
        )])
        .unwrap();
        assert!(matches!(fit(&foreign, &ours), SchemaFit::Differs(d) if d.contains("\"id\"")));
    }
}
