//! A lake table's Delta log over a real local lake: created once, appended with the files the
//! writer encodes (their statistics read back from the log), and a shard's commit refused once
//! the table already holds that shard's version.

use std::time::Instant;

use alarmlake_schemas::{Decoder, RawRecord, RecordPosition, Table};
use alarmlake_transform::delta::{DeltaError, ShardTxn, TableLog};
use alarmlake_transform::{Lake, LakeWriter, PreparedFile, WriterConfig};
use chrono::{DateTime, Utc};

/// Expander dicts of one site, one per minute from `first`, in hour `hour` of 2024-01-02.
fn files(hour: u32, first: u64, count: u64) -> Vec<PreparedFile> {
    let arrival = DateTime::parse_from_rfc3339("2024-01-02T23:59:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let decoder = Decoder::default();
    let mut writer = LakeWriter::new(WriterConfig::default());
    for line in first..first + count {
        let json = format!(
            r#"{{"address": 7, "channel": 1, "time": "2024-01-02T{hour:02}:{:02}:00", "value": 1}}"#,
            line % 60
        );
        let mut position = RecordPosition::line("file", "fixture.ndjson", line, arrival);
        position.partition_key = Some("home-1".into());
        let record = RawRecord {
            data: json.into_bytes(),
            position,
        };
        let outcomes = decoder.decode(&record);
        writer.append(
            &record.position,
            record.data.len(),
            &outcomes,
            Instant::now(),
        );
    }
    writer.take_all().unwrap()
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
