//! A session reads each Delta table's snapshot: files in the folder that no commit references
//! are never counted, and `--as-of` reads an older version.

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

async fn count(location: &str, as_of: AsOf, filter: &str) -> i64 {
    let options = SessionOptions {
        as_of,
        ..SessionOptions::default()
    };
    let session = LakeSession::open(location, options).await.unwrap();
    let batches = session
        .query(&format!("SELECT count(*) FROM alarm_events {filter}"))
        .await
        .unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn only_committed_files_are_read_and_older_versions_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let location = dir.path().to_str().unwrap();
    let lake = Lake::open(location, None).unwrap();
    let mut log = TableLog::open_or_create(&lake, Table::AlarmEvents)
        .await
        .unwrap();

    let committed = files(3, 0, 10);
    lake.write(&committed).await.unwrap();
    log.append(&committed.iter().collect::<Vec<_>>(), None)
        .await
        .unwrap();
    // Written in the same hour folder and in another, never committed: a crashed flush.
    let uncommitted = [files(3, 100, 7), files(5, 200, 4)].concat();
    lake.write(&uncommitted).await.unwrap();

    assert_eq!(count(location, AsOf::Latest, "").await, 10);
    assert_eq!(count(location, AsOf::Latest, "WHERE hour = 3").await, 10);
    assert_eq!(count(location, AsOf::Latest, "WHERE hour = 5").await, 0);

    let later = files(5, 200, 4);
    log.append(&later.iter().collect::<Vec<_>>(), None)
        .await
        .unwrap();
    assert_eq!(count(location, AsOf::Latest, "").await, 14);
    assert_eq!(count(location, AsOf::Latest, "WHERE hour = 5").await, 4);
    assert_eq!(count(location, AsOf::Version(1), "").await, 10);
    assert_eq!(count(location, AsOf::Version(0), "").await, 0);

    // A version the log does not have is an error naming the table.
    let error = LakeSession::open(
        location,
        SessionOptions {
            as_of: AsOf::Version(9),
            ..SessionOptions::default()
        },
    )
    .await
    .err()
    .unwrap();
    assert!(error.to_string().contains("alarm_events"), "{error}");
}
