//! `CREATE EXTERNAL TABLE` statements for Athena over the lake's Delta tables: Athena reads the
//! schema, partitions and files from each table's log, so the statement names only the folder
//! (and readers never see a file no commit added, or one compaction removed).

use alarmlake_schemas::Table;

/// The DDL of one table under `location` (`s3://bucket/prefix`).
pub fn create_table(table: Table, location: &str, database: &str) -> String {
    let location = location.trim_end_matches('/');
    let name = table.name();
    format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}`\n\
         LOCATION '{location}/{name}/'\n\
         TBLPROPERTIES ('table_type'='DELTA');"
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
    fn the_ddl_parses_as_hive_and_names_each_delta_table() {
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
            assert!(create.columns.is_empty(), "the log holds the schema");
            assert_eq!(
                create.location.as_deref(),
                Some(format!("s3://my-bucket/lake/{}/", table.name()).as_str())
            );
        }
        assert_eq!(
            ddl.matches("'table_type'='DELTA'").count(),
            Table::ALL.len()
        );
    }
}
