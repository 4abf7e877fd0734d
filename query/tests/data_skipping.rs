//! Data skipping: a query reads only the committed files whose statistics in the Delta log
//! admit its filters. The proof is a file the log references but that is gone from the
//! folder: a query the log rules it out for answers without opening it, and a query that needs
//! it fails (so nothing hides a missing file).

use alarmlake_query::{AsOf, LakeSession, SessionOptions};
use alarmlake_schemas::Table;
use alarmlake_transform::delta::TableLog;
use alarmlake_transform::testing::expander_files;
use alarmlake_transform::{Lake, PreparedFile};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;

fn files(hour: u32, first: u64, count: u64) -> Vec<PreparedFile> {
    expander_files(hour, first, count, false)
}

async fn count(session: &LakeSession, filter: &str) -> Result<i64, String> {
    let batches = session
        .query(&format!("SELECT count(*) FROM alarm_events WHERE {filter}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(batches[0].column(0).as_primitive::<Int64Type>().value(0))
}

/// A lake with three committed hours of `alarm_events` (03:00, 05:00 and 07:00 on 2024-01-02,
/// 10, 6 and 4 rows, one file each); returns the folder of the 05:00 hour's file.
async fn three_hours(location: &str) -> std::path::PathBuf {
    let lake = Lake::open(location, None).unwrap();
    let mut log = TableLog::open_or_create(&lake, Table::AlarmEvents)
        .await
        .unwrap();
    for (hour, first, count) in [(3, 0, 10), (5, 100, 6), (7, 200, 4)] {
        let written = files(hour, first, count);
        lake.write(&written).await.unwrap();
        log.append(&written.iter().collect::<Vec<_>>(), None)
            .await
            .unwrap();
    }
    std::path::Path::new(location).join("alarm_events/date=2024-01-02/hour=05")
}

#[tokio::test]
async fn filters_on_event_time_skip_files_by_their_logged_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().to_str().unwrap();
    let hour_five = three_hours(location).await;
    let session = LakeSession::open(location, SessionOptions::default())
        .await
        .unwrap();
    // With every file present, the answers of the filters used below.
    let before = TIME_FILTERS_AND_COUNTS;
    for (filter, expected) in before {
        assert_eq!(count(&session, filter).await, Ok(*expected), "{filter}");
    }

    // The 05:00 file is gone (as if its disk failed): only filters its bounds admit need it.
    std::fs::remove_dir_all(&hour_five).unwrap();
    let session = LakeSession::open(location, SessionOptions::default())
        .await
        .unwrap();
    for (filter, expected) in before {
        let needs_five = filter.contains("05:") || !filter.contains("event_time");
        let answer = count(&session, filter).await;
        if needs_five {
            assert!(
                answer.is_err(),
                "{filter} read without the file it needs: {answer:?}"
            );
        } else {
            assert_eq!(
                answer,
                Ok(*expected),
                "{filter} opened a file its bounds rule out"
            );
        }
    }
}

/// Filters on data columns only (no `date`/`hour`), and their counts on [`three_hours`]'s lake.
/// A filter that needs the 05:00 file names that hour, or does not filter on time.
const TIME_FILTERS_AND_COUNTS: &[(&str, i64)] = &[
    ("event_time < TIMESTAMP '2024-01-02T04:00:00Z'", 10),
    ("event_time >= TIMESTAMP '2024-01-02T06:00:00Z'", 4),
    (
        "event_time < TIMESTAMP '2024-01-02T04:00:00Z' OR event_time > TIMESTAMP '2024-01-02T06:30:00Z'",
        14,
    ),
    (
        "event_time BETWEEN TIMESTAMP '2024-01-02T05:00:00Z' AND TIMESTAMP '2024-01-02T05:59:59Z'",
        6,
    ),
    (
        "event_time > TIMESTAMP '2024-01-02T06:00:00Z' AND site = 'home-1'",
        4,
    ),
    ("site = 'home-1'", 20),
];

#[tokio::test]
async fn older_versions_skip_with_their_own_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().to_str().unwrap();
    let hour_five = three_hours(location).await;
    std::fs::remove_dir_all(hour_five.with_file_name("hour=03")).unwrap();
    let as_of = |version| SessionOptions {
        as_of: AsOf::Version(version),
        ..SessionOptions::default()
    };
    // Version 2 holds the 03:00 and 05:00 files; the 07:00 file is not in its snapshot, and
    // the (missing) 03:00 file is ruled out by its bounds.
    let after_four = "event_time >= TIMESTAMP '2024-01-02T04:00:00Z'";
    let session = LakeSession::open(location, as_of(2)).await.unwrap();
    assert_eq!(count(&session, after_four).await, Ok(6));
    let session = LakeSession::open(location, as_of(3)).await.unwrap();
    assert_eq!(count(&session, after_four).await, Ok(10));
    assert!(
        count(&session, "event_time < TIMESTAMP '2024-01-02T04:00:00Z'")
            .await
            .is_err()
    );
}
