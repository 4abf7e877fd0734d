//! `alarmlake sql` as a user runs it: one-shot, script, formats, output file, errors, and the
//! shell fed from a pipe.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    format!(
        "{}/../schemas/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn alarmlake(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

/// A lake made from the formats.md lines and the dict records.
fn lake(dir: &Path) -> String {
    let lake = dir.join("lake").to_string_lossy().into_owned();
    let out = alarmlake(
        &[
            "ingest-file",
            "--lake",
            &lake,
            "--no-progress",
            &fixture("formats-md.txt"),
            &fixture("dict-records.ndjson"),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lake
}

/// The answer to `sql` over `lake`, as CSV with a header.
fn csv(lake: &str, sql: &str) -> String {
    stdout(&alarmlake(
        &["sql", "--lake", lake, "--format", "csv", "-c", sql],
        b"",
    ))
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn one_shot_queries_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path());
    let sql = "SELECT message_type, count(*) AS n FROM alarm_events GROUP BY message_type ORDER BY n DESC, message_type";
    let table = alarmlake(&["sql", "--lake", &lake, "-c", sql], b"");
    let text = stdout(&table);
    assert!(text.contains("| keypad       | 7 |"), "{text}");
    assert!(
        String::from_utf8_lossy(&table.stderr).contains("6 rows in"),
        "rows and time are reported"
    );

    let csv = stdout(&alarmlake(
        &["sql", "--lake", &lake, "--format", "csv", "-c", sql],
        b"",
    ));
    assert_eq!(
        csv.lines().take(3).collect::<Vec<_>>(),
        ["message_type,n", "keypad,7", "lrr,4"]
    );
    // A query copied from a .sql file starts with its comment.
    let commented = format!("-- by kind\n{sql}");
    let csv_again = stdout(&alarmlake(
        &["sql", "--lake", &lake, "--format", "csv", "-c", &commented],
        b"",
    ));
    assert_eq!(csv_again, csv);

    let json = stdout(&alarmlake(
        &["sql", "--lake", &lake, "--format", "json", "-c", sql],
        b"",
    ));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["message_type"], "keypad");
    assert_eq!(rows[0]["n"], 7);

    let ndjson = stdout(&alarmlake(
        &["sql", "--lake", &lake, "--format", "ndjson", "-c", sql],
        b"",
    ));
    assert_eq!(ndjson.lines().count(), 6);

    let file = dir.path().join("out.csv");
    stdout(&alarmlake(
        &[
            "sql",
            "--lake",
            &lake,
            "--format",
            "csv",
            "--output",
            file.to_str().unwrap(),
            "-c",
            sql,
        ],
        b"",
    ));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("message_type,n\n")
    );
}

#[test]
fn scripts_errors_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path());
    let script = dir.path().join("q.sql");
    std::fs::write(&script, "SELECT count(*) AS dead FROM dead_letters;\nSELECT json_get_int(event_data, 'missing') IS NULL AS none FROM mode_events;\n").unwrap();
    let text = stdout(&alarmlake(
        &[
            "sql",
            "--lake",
            &lake,
            "-f",
            script.to_str().unwrap(),
            "--format",
            "csv",
        ],
        b"",
    ));
    assert_eq!(text, "dead\n0\nnone\ntrue\n");

    let bad = alarmlake(
        &[
            "sql",
            "--lake",
            &lake,
            "-c",
            "SELECT nope FROM alarm_events",
        ],
        b"",
    );
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one readable line: {stderr}"
    );
    assert!(
        stderr.starts_with("error: ") && stderr.contains("nope"),
        "{stderr}"
    );

    let refused = alarmlake(
        &["sql", "--lake", &lake, "-c", "CREATE TABLE x AS SELECT 1"],
        b"",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--allow-writes"));
    let allowed = alarmlake(
        &[
            "sql",
            "--lake",
            &lake,
            "--allow-writes",
            "-c",
            "CREATE TABLE x AS SELECT 1 AS a; SELECT a FROM x",
        ],
        b"",
    );
    assert!(stdout(&allowed).contains("| 1 |"));
}

/// `COPY ... TO 'file'` is how a user exports an answer; the statement must reach DataFusion
/// as written (its quoted path once came back unquoted and failed to parse).
#[test]
fn copy_to_a_file_exports_an_answer_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path());
    let export = dir.path().join("keypads.parquet");
    let copy = format!(
        "COPY (SELECT site, count(*) AS n FROM alarm_events GROUP BY site) TO '{}' STORED AS PARQUET",
        export.display()
    );
    let copied = alarmlake(
        &["sql", "--lake", &lake, "--allow-writes", "-c", &copy],
        b"",
    );
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let sql = format!(
        "SELECT sum(n) = (SELECT count(*) FROM alarm_events) AS same FROM '{}'",
        export.display()
    );
    assert_eq!(csv(&lake, &sql).trim(), "same\ntrue");
}

#[test]
fn the_shell_reads_statements_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path());
    let input = b"\\d\n\\d camera_media\nSELECT count(*) AS keypads\nFROM alarm_events\nWHERE message_type = 'keypad';\nSELECT broken;\nSELECT 2 AS two;\n\\q\n";
    let out = alarmlake(&["sql", "--lake", &lake], input);
    let text = stdout(&out);
    for table in [
        "alarm_events",
        "bulk_records",
        "camera_media",
        "dead_letters",
        "mode_events",
    ] {
        assert!(text.contains(table), "\\d lists {table}: {text}");
    }
    assert!(text.contains("capture_time"), "\\d TABLE describes it");
    assert!(
        text.contains("| 7       |"),
        "a statement over three lines: {text}"
    );
    assert!(
        text.contains("| 2   |"),
        "the shell goes on after an error: {text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: "),
        "the error is reported"
    );
}

/// `\history TABLE [N]` lists a table's commits with their rows and files, from the log alone:
/// here the ingest's write, then a compaction that replaced the hour's files.
#[test]
fn the_shell_lists_a_tables_commits() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake(dir.path());
    let rows: i64 = csv(&lake, "SELECT count(*) FROM alarm_events")
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let input = b"\\history alarm_events\n\\history no_such_table\n\\history alarm_events x\n";
    let out = alarmlake(&["sql", "--lake", &lake, "--format", "csv"], input);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "version,time,operation,rows_added,files_added,files_removed"
    );
    // Newest first: the write of every ingested row, then the table's creation.
    assert!(lines[1].starts_with("1,"), "{text}");
    assert!(lines[1].contains(&format!(",WRITE,{rows},")), "{text}");
    assert!(lines[2].starts_with("0,"), "{text}");
    assert!(lines[2].contains("CREATE TABLE"), "{text}");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        errors.contains("no table is called \"no_such_table\""),
        "{errors}"
    );
    assert!(errors.contains("usage: \\history TABLE [N]"), "{errors}");
}

#[test]
fn athena_ddl_for_an_s3_lake() {
    let out = alarmlake(&["athena-ddl", "--lake", "s3://bucket/lake"], b"");
    let ddl = stdout(&out);
    assert_eq!(ddl.matches("CREATE EXTERNAL TABLE").count(), 5);
    assert!(ddl.contains("LOCATION 's3://bucket/lake/alarm_events/'"));
    assert_eq!(
        ddl.matches("TBLPROPERTIES ('table_type'='DELTA')").count(),
        5
    );
    let local = alarmlake(&["athena-ddl", "--lake", "./lake"], b"");
    assert_eq!(local.status.code(), Some(2));
}
