//! A lake table's Delta log over a real local lake: created once, appended with the files the
//! writer encodes (their statistics read back from the log), and a shard's commit refused once
//! the table already holds that shard's version.

use alarmlake_schemas::Table;
use alarmlake_transform::delta::{DeltaError, ShardTxn, TableLog};
use alarmlake_transform::testing::expander_files;
use alarmlake_transform::{Lake, PreparedFile};

fn files(hour: u32, first: u64, count: u64) -> Vec<PreparedFile> {
    expander_files(hour, first, count, false)
}

#[tokio::test]
async fn appends_are_committed_with_their_statistics_and_a_shard_version_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    assert!(
        TableLog::open(&lake, Table::AlarmEvents)
            .await
            .unwrap()
            .is_none()
    );
    let mut log = TableLog::open_or_create(&lake, Table::AlarmEvents)
        .await
        .unwrap();
    assert_eq!(log.version(), Some(0));
    // A second writer finds the same table rather than making another.
    let mut other = TableLog::open_or_create(&lake, Table::AlarmEvents)
        .await
        .unwrap();
    assert_eq!(other.version(), Some(0));

    let first = files(3, 0, 10);
    lake.write(&first).await.unwrap();
    let refs: Vec<&PreparedFile> = first.iter().collect();
    let txn = ShardTxn {
        app_id: ShardTxn::app_id("app", "stream", "shardId-0"),
        version: 1,
    };
    assert_eq!(log.append(&refs, Some(&txn)).await.unwrap(), 1);

    // The other handle, one version behind, retries past it; the same shard version is refused
    // whether its snapshot is fresh or stale.
    let second = files(4, 10, 5);
    lake.write(&second).await.unwrap();
    let refs2: Vec<&PreparedFile> = second.iter().collect();
    let refused = other.append(&refs2, Some(&txn)).await.unwrap_err();
    assert!(
        matches!(
            refused,
            DeltaError::Fenced {
                committed: Some(1),
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(other.append(&refs2, None).await.unwrap(), 2);
    let next = ShardTxn {
        version: 2,
        ..txn.clone()
    };
    assert_eq!(log.append(&[], Some(&next)).await.unwrap(), 3);
    assert_eq!(log.committed(&txn.app_id).await.unwrap(), Some(2));

    let reopened = TableLog::open(&lake, Table::AlarmEvents)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reopened.version(), Some(3));
    let state = reopened.delta().snapshot().unwrap();
    let mut seen: Vec<(String, Option<usize>)> = state
        .log_data()
        .iter()
        .map(|f| (f.path().to_string(), f.num_records()))
        .collect();
    seen.sort();
    let mut expected: Vec<(String, Option<usize>)> = first
        .iter()
        .chain(&second)
        .map(|f| {
            let relative = f.path.strip_prefix("alarm_events/").unwrap().to_string();
            (relative, Some(f.rows as usize))
        })
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    let partitions = state
        .log_data()
        .iter()
        .next()
        .unwrap()
        .partition_values_map();
    assert_eq!(partitions["date"].as_deref(), Some("2024-01-02"));
    assert!(matches!(partitions["hour"].as_deref(), Some("3" | "4")));
}

/// Writes `text` as commit `version` of `table`'s log.
fn write_commit(root: &std::path::Path, table: Table, version: u64, text: &str) {
    let log = root.join(table.name()).join("_delta_log");
    std::fs::create_dir_all(&log).unwrap();
    std::fs::write(log.join(format!("{version:020}.json")), text).unwrap();
}

/// A commit that makes the table a Delta table of another schema, or of a protocol this version
/// does not read.
fn first_commit(schema_fields: &str, reader: u32, writer: u32) -> String {
    format!(
        "{{\"protocol\":{{\"minReaderVersion\":{reader},\"minWriterVersion\":{writer}}}}}\n\
         {{\"metaData\":{{\"id\":\"6b0f5c5e-0000-4000-8000-000000000001\",\"format\":{{\"provider\":\"parquet\",\"options\":{{}}}},\
         \"schemaString\":\"{{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{schema_fields}]}}\",\
         \"partitionColumns\":[],\"configuration\":{{}},\"createdTime\":1}}}}\n"
    )
}

const OTHER_FIELDS: &str =
    r#"{\"name\":\"reading\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}"#;

#[tokio::test]
async fn a_folder_with_another_table_a_broken_log_or_a_newer_protocol_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();

    // Another application's Delta table where alarm_events belongs.
    write_commit(
        dir.path(),
        Table::AlarmEvents,
        0,
        &first_commit(OTHER_FIELDS, 1, 2),
    );
    let other = TableLog::open_or_create(&lake, Table::AlarmEvents)
        .await
        .unwrap_err();
    assert!(
        matches!(
            other,
            DeltaError::SchemaMismatch {
                table: "alarm_events",
                ..
            }
        ),
        "{other}"
    );
    assert!(other.to_string().contains("alarm_events"), "{other}");

    // A commit cut short (a torn write, or a hand edit).
    let good = TableLog::open_or_create(&lake, Table::ModeEvents)
        .await
        .unwrap();
    assert_eq!(good.version(), Some(0));
    write_commit(
        dir.path(),
        Table::ModeEvents,
        1,
        "{\"add\":{\"path\":\"date=2024-01-02/ho",
    );
    let broken = TableLog::open(&lake, Table::ModeEvents).await.unwrap_err();
    assert!(
        matches!(
            broken,
            DeltaError::Delta {
                table: "mode_events",
                ..
            }
        ),
        "{broken}"
    );

    // A table written by a Delta writer with a protocol newer than this version reads.
    write_commit(
        dir.path(),
        Table::DeadLetters,
        0,
        &first_commit(OTHER_FIELDS, 9, 9),
    );
    let newer = TableLog::open(&lake, Table::DeadLetters).await.unwrap_err();
    assert!(newer.to_string().contains("dead_letters"), "{newer}");

    // Nothing was written into any of them.
    for table in [Table::AlarmEvents, Table::DeadLetters] {
        let log = dir.path().join(table.name()).join("_delta_log");
        assert_eq!(std::fs::read_dir(log).unwrap().count(), 1, "{table}");
    }
}
