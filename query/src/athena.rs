//! `CREATE EXTERNAL TABLE` statements for Athena (and Trino/Hive), with partition projection on
//! `date` and `hour`, so that users who outgrow one machine can point them at the same lake.

use alarmlake_schemas::Table;
use datafusion::arrow::datatypes::{DataType, Field};

/// The Hive type Athena reads an Arrow column as.
fn hive_type(field: &Field) -> &'static str {
    match field.data_type() {
        DataType::Boolean => "boolean",
        DataType::Int32 => "int",
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint",
        DataType::Timestamp(_, _) => "timestamp",
        DataType::Binary | DataType::LargeBinary => "binary",
        _ => "string",
    }
}

/// The DDL of one table under `location` (`s3://bucket/prefix`), with partition projection:
/// Athena computes the partitions from the date range instead of needing `MSCK REPAIR`.
pub fn create_table(table: Table, location: &str, database: &str) -> String {
    let location = location.trim_end_matches('/');
    let schema = table.schema();
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("  `{}` {}", f.name(), hive_type(f)))
        .collect();
    let name = table.name();
    format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}` (\n{}\n)\n\
         PARTITIONED BY (`date` string, `hour` int)\n\
         STORED AS PARQUET\n\
         LOCATION '{location}/{name}/'\n\
         TBLPROPERTIES (\n\
         \x20 'projection.enabled'='true',\n\
         \x20 'projection.date.type'='date',\n\
         \x20 'projection.date.format'='yyyy-MM-dd',\n\
         \x20 'projection.date.range'='2016-01-01,NOW',\n\
         \x20 'projection.date.interval'='1',\n\
         \x20 'projection.date.interval.unit'='DAYS',\n\
         \x20 'projection.hour.type'='integer',\n\
         \x20 'projection.hour.range'='0,23',\n\
         \x20 'projection.hour.digits'='2',\n\
         \x20 'storage.location.template'='{location}/{name}/date=${{date}}/hour=${{hour}}/',\n\
         \x20 'parquet.compression'='ZSTD'\n\
         );",
        columns.join(",\n")
    )
}

/// The DDL of every lake table.
pub fn create_tables(location: &str, database: &str) -> String {
    Table::ALL
        .iter()
        .map(|t| create_table(*t, location, database))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::ast::Statement;
    use datafusion::sql::sqlparser::dialect::HiveDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn the_ddl_parses_as_hive() {
        let ddl = create_tables("s3://my-bucket/lake/", "alarmlake");
        let statements =
            Parser::parse_sql(&HiveDialect {}, &ddl).expect("Hive dialect parses the DDL");
        assert_eq!(statements.len(), Table::ALL.len());
        for (statement, table) in statements.iter().zip(Table::ALL) {
            let Statement::CreateTable(create) = statement else {
                panic!("not a CREATE TABLE: {statement}")
            };
            assert!(create.external, "{table} is external");
            assert_eq!(
                create.name.to_string(),
                format!("`alarmlake`.`{}`", table.name())
            );
            assert_eq!(
                create.columns.len(),
                table.schema().fields().len(),
                "{table} has every column"
            );
            assert_eq!(
                create.location.as_deref(),
                Some(format!("s3://my-bucket/lake/{}/", table.name()).as_str())
            );
        }
        assert!(
            ddl.contains("`time` string")
                && ddl.contains("`event_time` timestamp")
                && ddl.contains("`ready` boolean")
        );
        assert!(ddl.contains("date=${date}/hour=${hour}/"));
    }
}
