//! Splitting a script into its statements.
//!
//! Each statement is handed on as the text the user wrote, cut at the semicolons the SQL
//! tokenizer finds (so a `;` inside a string or a comment does not cut). Printing the parsed
//! statement back instead loses what the printer does not round-trip: `COPY ... TO '/tmp/x'`
//! came back as `TO /tmp/x`, which no longer parses.

use datafusion::sql::parser::DFParser;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::session::QueryError;

/// Splits a script into its statements, as the SQL text the user wrote. The script is parsed
/// first, so a syntax error anywhere is reported before any statement runs.
pub fn statements(sql: &str) -> Result<Vec<String>, QueryError> {
    let parsed = DFParser::parse_sql(sql)?;
    let pieces = split_at_semicolons(sql)?;
    // The tokenizer and the parser agree on where statements end; should they ever disagree,
    // the parser's own printing is the safer answer than running half a statement.
    if pieces.len() != parsed.len() {
        return Ok(parsed.iter().map(ToString::to_string).collect());
    }
    Ok(pieces)
}

/// The text between top-level semicolons that holds more than whitespace and comments.
fn split_at_semicolons(sql: &str) -> Result<Vec<String>, QueryError> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| QueryError::Script(e.to_string()))?;
    let lines = LineStarts::of(sql);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut has_content = false;
    for token in tokens {
        match token.token {
            Token::SemiColon => {
                let end = lines.offset(token.span.start);
                if has_content {
                    pieces.push(sql[start..end].trim().to_string());
                }
                start = end + 1;
                has_content = false;
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => has_content = true,
        }
    }
    if has_content {
        pieces.push(sql[start..].trim().to_string());
    }
    Ok(pieces)
}

/// A script's line starts, to turn the tokenizer's (line, column) into a byte offset.
struct LineStarts<'a> {
    sql: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineStarts<'a> {
    fn of(sql: &'a str) -> LineStarts<'a> {
        let mut starts = vec![0];
        starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts { sql, starts }
    }

    /// The byte offset of a 1-based (line, column-in-characters) location.
    fn offset(&self, at: Location) -> usize {
        let sql = self.sql;
        let line_start = self
            .starts
            .get((at.line as usize).saturating_sub(1))
            .copied()
            .unwrap_or(sql.len());
        let column = (at.column as usize).saturating_sub(1);
        sql[line_start..]
            .char_indices()
            .nth(column)
            .map_or(sql.len(), |(i, _)| line_start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_keep_the_text_as_written() {
        let script = "-- first\nSELECT 'a;b' AS x;\n\n/* two; */ SELECT 2;\nCOPY (SELECT 1) TO '/tmp/x.parquet';\n-- trailing comment\n";
        assert_eq!(
            statements(script).unwrap(),
            [
                "-- first\nSELECT 'a;b' AS x",
                "/* two; */ SELECT 2",
                "COPY (SELECT 1) TO '/tmp/x.parquet'",
            ]
        );
    }

    #[test]
    fn multibyte_text_before_a_semicolon_cuts_at_the_right_byte() {
        let script = "SELECT 'zone ☃ garage' AS z; SELECT 'é'";
        assert_eq!(
            statements(script).unwrap(),
            ["SELECT 'zone ☃ garage' AS z", "SELECT 'é'"]
        );
    }

    #[test]
    fn a_syntax_error_is_reported_before_anything_is_split() {
        assert!(statements("SELECT 1; SELEC 2;").is_err());
    }

    #[test]
    fn an_empty_script_has_no_statements() {
        assert!(statements("  -- nothing\n").unwrap().is_empty());
    }
}
