//! The SQL session over a real lake written by the lake writer from generated homes.

mod common;

use std::sync::Arc;

use alarmlake_query::{LakeSession, QueryError, SessionOptions};
use alarmlake_schemas::Tally;
use alarmlake_transform::Lake;
use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;

/// Writes two days of two homes (mixed format) into a lake folder; returns the tally.
async fn write_lake(dir: &std::path::Path) -> Tally {
    let start = DateTime::parse_from_rfc3339("2024-01-02T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let text = common::generated_lines(2, 2, 9, start);
    let lake = Lake::open(dir.to_str().unwrap(), None).unwrap();
    common::write_flush(&lake, text.lines().enumerate(), start).await
}

fn single_i64(batches: &[RecordBatch]) -> i64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn tables_are_registered_and_counts_match_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let tally = write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    let total = session
        .query("SELECT (SELECT count(*) FROM alarm_events) + (SELECT count(*) FROM mode_events) + (SELECT count(*) FROM camera_media)")
        .await
        .unwrap();
    assert_eq!(single_i64(&total) as u64, tally.events);
    let empty = session
        .query("SELECT count(*) FROM bulk_records")
        .await
        .unwrap();
    assert_eq!(
        single_i64(&empty),
        0,
        "a table without files is registered, empty"
    );
    let hours = session
        .query("SELECT count(DISTINCT hour) FROM alarm_events WHERE date = '2024-01-03'")
        .await
        .unwrap();
    assert_eq!(single_i64(&hours), 24);
    let days = session
        .query(
            "SELECT CAST(date AS VARCHAR) AS d, count(*) FROM alarm_events GROUP BY 1 ORDER BY 1",
        )
        .await
        .unwrap();
    let text = pretty_format_batches(&days).unwrap().to_string();
    assert!(
        text.contains("2024-01-02") && text.contains("2024-01-03"),
        "{text}"
    );
}

/// The distinct files the physical plan of `sql` will read (a large file may be split into
/// byte ranges read in parallel, so ranges are not files).
async fn files_scanned(session: &LakeSession, sql: &str) -> usize {
    let plan = common::plan(session, sql).await;
    let mut files = std::collections::BTreeSet::new();
    let mut stack: Vec<Arc<dyn ExecutionPlan>> = vec![plan];
    while let Some(node) = stack.pop() {
        if let Some(source) = node.downcast_ref::<DataSourceExec>()
            && let Some(scan) = source.data_source().downcast_ref::<FileScanConfig>()
        {
            for group in &scan.file_groups {
                files.extend(
                    group
                        .files()
                        .iter()
                        .map(|f| f.object_meta.location.to_string()),
                );
            }
        }
        stack.extend(node.children().into_iter().cloned());
    }
    files.len()
}

#[tokio::test]
async fn a_date_filter_prunes_partitions() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    // A filter on a data column makes the plan scan files. (A bare count is answered from
    // Parquet statistics without scanning anything.)
    let on_disk = |relative: &str| -> usize {
        let mut count = 0;
        let mut dirs = vec![dir.path().join("alarm_events").join(relative)];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "parquet") {
                    count += 1;
                }
            }
        }
        count
    };
    let query = "SELECT count(*) FROM alarm_events WHERE text LIKE '%ARMED%'";
    let all = files_scanned(&session, query).await;
    assert_eq!(all, on_disk(""));
    assert!(all >= 48, "two days of hourly files: {all}");
    let one_day = files_scanned(&session, &format!("{query} AND date = '2024-01-02'")).await;
    assert_eq!(
        one_day,
        on_disk("date=2024-01-02"),
        "the other day is pruned"
    );
    assert!(one_day < all);
    let one_hour = files_scanned(
        &session,
        &format!("{query} AND date = '2024-01-02' AND hour = 13"),
    )
    .await;
    assert_eq!(one_hour, on_disk("date=2024-01-02/hour=13"));
    // Hour folders have two digits (`hour=07`): a one-digit hour must find its folder too, and
    // its rows, whichever way round the comparison is written.
    for hour in ["hour = 7", "7 = hour"] {
        let sql = format!("{query} AND date = '2024-01-02' AND {hour}");
        assert_eq!(
            files_scanned(&session, &sql).await,
            on_disk("date=2024-01-02/hour=07"),
            "{sql}"
        );
    }
    // `hour + 0` is no partition equality, so it cannot take the listing shortcut.
    let computed = "SELECT count(*) FROM alarm_events WHERE date = '2024-01-02' AND hour + 0 = 7";
    let by_hour = single_i64(&session.query(computed).await.unwrap());
    assert!(by_hour > 0);
    let direct = "SELECT count(*) FROM alarm_events WHERE date = '2024-01-02' AND hour = 7";
    assert_eq!(single_i64(&session.query(direct).await.unwrap()), by_hour);
    assert_eq!(
        files_scanned(&session, &format!("{query} AND date > '2030-01-01'")).await,
        0
    );
}

#[tokio::test]
async fn mode_event_data_is_reachable_with_json_functions() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    let uptime = session
        .query("SELECT count(*) FROM mode_events WHERE event_type = 'heartbeat' AND json_get_int(event_data, 'uptime') >= 0")
        .await
        .unwrap();
    assert_eq!(
        single_i64(&uptime),
        2 * 2 * 288,
        "every heartbeat has an uptime"
    );
    let temps = session
        .query("SELECT count(*) FROM mode_events WHERE json_get_float(event_data, 'timeSeriesData', 0, 'value') BETWEEN 15 AND 25")
        .await
        .unwrap();
    assert_eq!(
        single_i64(&temps),
        2 * 2 * 144,
        "one temperature every ten minutes"
    );
}

#[tokio::test]
async fn writes_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO alarm_events SELECT * FROM alarm_events",
        "COPY (SELECT 1) TO '/tmp/x.parquet'",
        "DROP TABLE alarm_events",
    ] {
        match session.sql(sql).await {
            Err(QueryError::ReadOnly(message)) => assert!(!message.is_empty()),
            Err(other) => panic!("{sql}: expected a read-only refusal, got {other}"),
            Ok(_) => panic!("{sql}: expected a read-only refusal"),
        }
    }
    let writable = LakeSession::open(
        dir.path().to_str().unwrap(),
        SessionOptions {
            allow_writes: true,
            ..SessionOptions::default()
        },
    )
    .await
    .unwrap();
    writable
        .query("CREATE TABLE t AS SELECT 1 AS x")
        .await
        .unwrap();
    assert_eq!(
        writable.query("SELECT count(*) FROM t").await.unwrap()[0]
            .column(0)
            .len(),
        1
    );
}

#[tokio::test]
async fn listings_are_cached_for_the_session() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    let count = "SELECT count(*) FROM alarm_events WHERE date = '2024-01-02' AND hour = 5";
    let before = single_i64(&session.query(count).await.unwrap());
    // Another writer adds a file to that hour.
    let hour = dir.path().join("alarm_events/date=2024-01-02/hour=05");
    let existing = std::fs::read_dir(&hour)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(&existing, hour.join("another-writer-1-0-0.parquet")).unwrap();
    assert_eq!(
        single_i64(&session.query(count).await.unwrap()),
        before,
        "the session keeps its listing"
    );
    let fresh = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    assert_eq!(
        single_i64(&fresh.query(count).await.unwrap()),
        2 * before,
        "a new session lists again"
    );
}

/// The shell's Tab completion knows the lake's own tables and columns, read from the session.
#[tokio::test]
async fn the_shell_completes_the_lakes_tables_and_columns() {
    use alarmlake_query::completion::SqlCompleter;
    use rustyline::completion::Completer;
    use rustyline::history::DefaultHistory;

    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    let completer = SqlCompleter::for_session(&session).await.unwrap();
    let history = DefaultHistory::new();
    let offered = |line: &str| -> Vec<String> {
        let context = rustyline::Context::new(&history);
        let (_, pairs) = completer.complete(line, line.len(), &context).unwrap();
        pairs.into_iter().map(|p| p.replacement).collect()
    };
    assert_eq!(offered("SELECT * FROM alarm_"), ["alarm_events"]);
    assert_eq!(offered("SELECT * FROM dead"), ["dead_letters"]);
    let columns = offered("SELECT alarm_events.event_");
    assert!(
        columns.contains(&"event_time".to_string()) && columns.contains(&"event_code".to_string()),
        "{columns:?}"
    );
    assert!(offered("SELECT camera_media.").contains(&"camera".to_string()));
}
