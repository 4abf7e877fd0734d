//! Tab completion in the SQL shell: the lake's table names, their column names, SQL keywords
//! and functions, and the shell's own `\` commands.
//!
//! *Why context matters:* after `FROM` or `JOIN` (and after `\d` or `\history`) only a table
//! makes sense, and after `table.` only that table's columns; elsewhere every name and keyword
//! that starts with what was typed is offered. Keywords come back in the case the user types in.

use std::collections::{BTreeMap, BTreeSet};

use rustyline::Context;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;

use crate::session::{LakeSession, QueryError};

/// Keywords and functions offered anywhere.
const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "AVG",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COALESCE",
    "COUNT",
    "CROSS",
    "CURRENT_DATE",
    "DATE",
    "DATE_BIN",
    "DATE_TRUNC",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "EXTRACT",
    "FALSE",
    "FILTER",
    "FIRST_VALUE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTERVAL",
    "IS",
    "JOIN",
    "LAG",
    "LAST_VALUE",
    "LEAD",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MAX",
    "MIN",
    "NOT",
    "NOW",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "RANGE",
    "RIGHT",
    "ROW_NUMBER",
    "ROWS",
    "SELECT",
    "SHOW",
    "SUM",
    "TABLES",
    "THEN",
    "TIMESTAMP",
    "TO_TIMESTAMP",
    "TRUE",
    "UNION",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// The shell's own commands (`repl.rs`).
const COMMANDS: &[&str] = &["\\d", "\\history", "\\q"];

/// Words after which only a table name fits.
const BEFORE_TABLE: &[&str] = &["FROM", "JOIN", "\\d", "\\history", "DESCRIBE"];

/// The shell's completer: every table of the lake with its columns.
#[derive(Debug, Clone, Default)]
pub struct SqlCompleter {
    tables: BTreeMap<String, BTreeSet<String>>,
}

impl SqlCompleter {
    /// A completer for `columns`: (table, column) pairs.
    pub fn new<T: Into<String>, C: Into<String>>(
        columns: impl IntoIterator<Item = (T, C)>,
    ) -> SqlCompleter {
        let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (table, column) in columns {
            tables
                .entry(table.into())
                .or_default()
                .insert(column.into());
        }
        SqlCompleter { tables }
    }

    /// The completer for the tables `session` registered, read from its information schema.
    pub async fn for_session(session: &LakeSession) -> Result<SqlCompleter, QueryError> {
        let batches = session
            .query(
                "SELECT table_name, column_name FROM information_schema.columns \
                 WHERE table_schema = 'lake'",
            )
            .await?;
        let mut pairs = Vec::new();
        for batch in &batches {
            let text = |i: usize| {
                datafusion::arrow::compute::cast(
                    batch.column(i),
                    &datafusion::arrow::datatypes::DataType::Utf8,
                )
            };
            let (tables, columns) = (
                text(0).map_err(datafusion::error::DataFusionError::from)?,
                text(1).map_err(datafusion::error::DataFusionError::from)?,
            );
            let (tables, columns) = (
                datafusion::arrow::array::AsArray::as_string::<i32>(&tables),
                datafusion::arrow::array::AsArray::as_string::<i32>(&columns),
            );
            for row in 0..batch.num_rows() {
                pairs.push((
                    tables.value(row).to_string(),
                    columns.value(row).to_string(),
                ));
            }
        }
        Ok(SqlCompleter::new(pairs))
    }

    /// The start of the word being completed at `pos`, and the candidates for it.
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '\\')
            .last()
            .map_or(pos, |(i, _)| i);
        let word = &before[start..];
        let prefix = word.to_lowercase();
        let matching = |name: &&str| name.to_lowercase().starts_with(&prefix);

        // `table.col`: that table's columns.
        if let Some(table) = before[..start].strip_suffix('.') {
            let table = table
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            let columns = self.tables.get(table).into_iter().flatten();
            return (
                start,
                columns
                    .map(String::as_str)
                    .filter(matching)
                    .map(str::to_string)
                    .collect(),
            );
        }
        let tables = self.tables.keys().map(String::as_str);
        if word.starts_with('\\') {
            let commands = COMMANDS.iter().copied().filter(matching);
            return (start, commands.map(str::to_string).collect());
        }
        let previous = before[..start].split_whitespace().next_back().unwrap_or("");
        if BEFORE_TABLE
            .iter()
            .any(|w| w.eq_ignore_ascii_case(previous))
        {
            return (start, tables.filter(matching).map(str::to_string).collect());
        }
        let lower = !word.is_empty() && word.chars().all(|c| !c.is_uppercase());
        let keywords = KEYWORDS.iter().copied().filter(matching).map(|k| {
            if lower {
                k.to_lowercase()
            } else {
                k.to_string()
            }
        });
        let columns: BTreeSet<&str> = self
            .tables
            .values()
            .flatten()
            .map(String::as_str)
            .filter(matching)
            .collect();
        let mut found: Vec<String> = tables
            .filter(matching)
            .chain(columns)
            .map(str::to_string)
            .chain(keywords)
            .collect();
        found.dedup();
        (start, found)
    }
}

impl Completer for SqlCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, words) = self.candidates(line, pos);
        let pairs = words
            .into_iter()
            .map(|word| Pair {
                display: word.clone(),
                replacement: word,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for SqlCompleter {
    type Hint = String;
}

impl Highlighter for SqlCompleter {}

impl Validator for SqlCompleter {}

impl rustyline::Helper for SqlCompleter {}

#[cfg(test)]
mod tests {
    use rustyline::history::DefaultHistory;

    use super::*;

    fn completer() -> SqlCompleter {
        SqlCompleter::new([
            ("alarm_events", "site"),
            ("alarm_events", "event_time"),
            ("alarm_events", "event_code"),
            ("mode_events", "site"),
            ("mode_events", "event_type"),
            ("dead_letters", "reason"),
        ])
    }

    /// What the shell offers for `line` with the cursor at its end: the text it replaces, and
    /// the replacements.
    fn complete(line: &str) -> (String, Vec<String>) {
        let history = DefaultHistory::new();
        let (start, pairs) = completer()
            .complete(line, line.len(), &Context::new(&history))
            .unwrap();
        let words = pairs.into_iter().map(|p| p.replacement).collect();
        (line[start..].to_string(), words)
    }

    fn offered(replaced: &str, words: &[&str]) -> (String, Vec<String>) {
        (
            replaced.to_string(),
            words.iter().map(|w| w.to_string()).collect(),
        )
    }

    #[test]
    fn after_from_or_join_only_tables_are_offered() {
        assert_eq!(
            complete("SELECT * FROM al"),
            offered("al", &["alarm_events"])
        );
        assert_eq!(
            complete("select * from alarm_events a join "),
            offered("", &["alarm_events", "dead_letters", "mode_events"])
        );
        assert_eq!(complete("\\d mo"), offered("mo", &["mode_events"]));
    }

    #[test]
    fn a_qualified_name_offers_that_tables_columns() {
        assert_eq!(
            complete("SELECT alarm_events.ev"),
            offered("ev", &["event_code", "event_time"])
        );
        assert_eq!(
            complete("SELECT mode_events.ev"),
            offered("ev", &["event_type"])
        );
        assert_eq!(complete("SELECT nosuch.ev"), offered("ev", &[]));
    }

    #[test]
    fn elsewhere_columns_and_keywords_in_the_case_typed() {
        assert_eq!(
            complete("SELECT site, count(*) FROM alarm_events GR"),
            offered("GR", &["GROUP"])
        );
        assert_eq!(
            complete("select ev"),
            offered("ev", &["event_code", "event_time", "event_type"])
        );
        assert_eq!(
            complete("select * from alarm_events wh"),
            offered("wh", &["when", "where"])
        );
        // A column of two tables is offered once.
        assert_eq!(complete("SELECT si"), offered("si", &["site"]));
    }

    #[test]
    fn shell_commands_complete() {
        assert_eq!(complete("\\h"), offered("\\h", &["\\history"]));
        assert_eq!(complete("\\"), offered("\\", &["\\d", "\\history", "\\q"]));
    }
}
