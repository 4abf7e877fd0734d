//! The interactive shell: statements end with `;` and may span lines; `\d` lists the tables,
//! `\d TABLE` describes one, `\history TABLE [N]` lists its latest commits, `\q` quits; Tab
//! completes names and keywords (`completion.rs`). The lines typed are kept in
//! `~/.alarmlake_history`.

use std::io::{self, Write};
use std::time::Instant;

use rustyline::Editor;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;

use crate::completion::SqlCompleter;
use crate::output::{OutputFormat, write_batches};
use crate::script::statements;
use crate::session::{LakeSession, QueryError};

/// Runs the shell until `\q`, Ctrl-D or the end of input.
pub async fn run(session: &LakeSession, format: OutputFormat) -> Result<(), QueryError> {
    let mut editor = Editor::<SqlCompleter, DefaultHistory>::new()
        .map_err(|e| QueryError::Io(io::Error::other(e.to_string())))?;
    // Tab completes table and column names, keywords and the shell's commands.
    editor.set_helper(Some(
        SqlCompleter::for_session(session).await.unwrap_or_default(),
    ));
    let typed = std::env::var_os("HOME")
        .map(|home| std::path::PathBuf::from(home).join(".alarmlake_history"));
    if let Some(path) = &typed {
        let _ = editor.load_history(path);
    }
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            "alarmlake> "
        } else {
            "       ..> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(QueryError::Io(io::Error::other(e.to_string()))),
        };
        let trimmed = line.trim();
        if pending.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            match trimmed {
                "\\q" | "\\quit" => break,
                "\\d" => execute(session, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'lake' ORDER BY table_name", format).await,
                command if command.starts_with("\\d ") => {
                    let table = command[3..].trim().replace('\'', "");
                    let sql = format!(
                        "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
                         WHERE table_schema = 'lake' AND table_name = '{table}' ORDER BY ordinal_position"
                    );
                    execute(session, &sql, format).await;
                }
                command if command.starts_with("\\history") => {
                    history(session, &command["\\history".len()..], format).await;
                }
                other => eprintln!(
                    "unknown command {other}: \\d, \\d TABLE, \\history TABLE [N] and \\q are known"
                ),
            }
            continue;
        }
        pending.push_str(&line);
        pending.push('\n');
        if !trimmed.ends_with(';') {
            continue;
        }
        let _ = editor.add_history_entry(pending.trim());
        let text = std::mem::take(&mut pending);
        match statements(&text) {
            Ok(list) => {
                for statement in list {
                    execute(session, &statement, format).await;
                }
            }
            Err(e) => eprintln!("error: {e}"),
        }
    }
    if let Some(path) = &typed {
        let _ = editor.save_history(path);
    }
    Ok(())
}

/// Runs one statement and prints its result, or its error as one line; the shell goes on.
async fn execute(session: &LakeSession, sql: &str, format: OutputFormat) {
    let started = Instant::now();
    match session.query(sql).await {
        Ok(batches) => {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            let mut out = io::stdout().lock();
            if let Err(e) = write_batches(&batches, format, &mut out) {
                eprintln!("error: {e}");
            }
            let _ = out.flush();
            eprintln!("{rows} rows in {:.3} s", started.elapsed().as_secs_f64());
        }
        Err(e) => eprintln!("error: {}", one_line(&e.to_string())),
    }
}

/// `\history TABLE [N]`: the table's latest N commits (20 by default), printed as a result.
async fn history(session: &LakeSession, arguments: &str, format: OutputFormat) {
    let mut words = arguments.split_whitespace();
    let (Some(table), limit, None) = (words.next(), words.next(), words.next()) else {
        eprintln!("usage: \\history TABLE [N]");
        return;
    };
    let Ok(limit) = limit.map_or(Ok(20), str::parse::<usize>) else {
        eprintln!("usage: \\history TABLE [N], N a number of commits");
        return;
    };
    match session.history(table, limit).await {
        Ok(batch) => {
            let mut out = io::stdout().lock();
            if let Err(e) = write_batches(&[batch], format, &mut out) {
                eprintln!("error: {e}");
            }
            let _ = out.flush();
        }
        Err(e) => eprintln!("error: {}", one_line(&e.to_string())),
    }
}

/// Errors are one readable line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
