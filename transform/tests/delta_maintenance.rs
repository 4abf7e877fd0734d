//! The lake's Delta protocol beyond one append, over a real local lake: an interrupted flush
//! settled (rolled forward from its first table, or fenced), vacuum (old unreferenced files go;
//! committed files, files of a pending intent and young files stay), and converting a lake an
//! earlier alarmlake wrote, file names with `%` escapes included.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use alarmlake_schemas::Table;
use alarmlake_transform::delta::{Converted, DeltaError, LakeTables, Settled, ShardTxn, TableLog};
use alarmlake_transform::maintenance::{self, CheckpointLocation};
use alarmlake_transform::testing::expander_files;
use alarmlake_transform::{Lake, PreparedFile};

fn txn(version: i64) -> ShardTxn {
    ShardTxn {
        app_id: ShardTxn::app_id("app", "stream", "shardId-0"),
        version,
    }
}

fn paths(files: &[PreparedFile]) -> Vec<String> {
    files.iter().map(|f| f.path.clone()).collect()
}

async fn live(lake: &Lake, table: Table) -> BTreeSet<String> {
    match TableLog::open(lake, table).await.unwrap() {
        Some(log) => log.files().unwrap().into_iter().map(|f| f.path).collect(),
        None => BTreeSet::new(),
    }
}

/// A flush of two tables: alarm_events rows and dead letters, written, not yet committed.
async fn written_flush(lake: &Lake, tables: &LakeTables, first: u64) -> Vec<PreparedFile> {
    let files = expander_files(3, first, 10, true);
    let tables_in: BTreeSet<Table> = files.iter().map(|f| f.table).collect();
    assert_eq!(
        tables_in,
        BTreeSet::from([Table::AlarmEvents, Table::DeadLetters])
    );
    tables.prepare(&files).await.unwrap();
    lake.write(&files).await.unwrap();
    files
}

#[tokio::test]
async fn a_flush_committed_to_its_first_table_is_rolled_forward_to_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let tables = LakeTables::new(lake.clone());
    let files = written_flush(&lake, &tables, 0).await;
    // The crash: alarm_events committed version 1, dead_letters not.
    let first: Vec<&PreparedFile> = files
        .iter()
        .filter(|f| f.table == Table::AlarmEvents)
        .collect();
    let log = tables.log(Table::AlarmEvents).await.unwrap();
    log.lock()
        .await
        .append(&first, Some(&txn(1)))
        .await
        .unwrap();
    assert!(live(&lake, Table::DeadLetters).await.is_empty());

    let settled = tables.settle(&paths(&files), &txn(1)).await.unwrap();
    assert_eq!(settled, Settled::RolledForward { committed: 1 });
    let mut all = live(&lake, Table::AlarmEvents).await;
    all.extend(live(&lake, Table::DeadLetters).await);
    assert_eq!(all, paths(&files).into_iter().collect());
    assert_eq!(
        tables
            .committed(Table::DeadLetters, &txn(1).app_id)
            .await
            .unwrap(),
        Some(1)
    );
    // Settling again (a second recovery, or the writer waking up) changes nothing.
    let again = tables.settle(&paths(&files), &txn(1)).await.unwrap();
    assert_eq!(again, Settled::RolledForward { committed: 0 });
    let refused = tables.publish(&files, Some(&txn(1))).await.unwrap_err();
    assert!(matches!(refused, DeltaError::Fenced { .. }), "{refused}");
    let stats = TableLog::open(&lake, Table::DeadLetters)
        .await
        .unwrap()
        .unwrap()
        .files()
        .unwrap();
    assert_eq!(stats.len(), 1, "registered once");
}

#[tokio::test]
async fn a_flush_not_committed_anywhere_is_fenced_and_can_never_be_published() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let tables = LakeTables::new(lake.clone());
    let files = written_flush(&lake, &tables, 0).await;
    let settled = tables.settle(&paths(&files), &txn(1)).await.unwrap();
    assert_eq!(settled, Settled::Fenced);
    assert_eq!(
        tables
            .committed(Table::AlarmEvents, &txn(1).app_id)
            .await
            .unwrap(),
        Some(2),
        "the fence takes the version after the flush's"
    );
    // The paused writer of version 1 wakes up and commits: refused, nothing visible.
    let late = tables.publish(&files, Some(&txn(1))).await.unwrap_err();
    assert!(
        matches!(
            late,
            DeltaError::Fenced {
                committed: Some(2),
                ..
            }
        ),
        "{late}"
    );
    assert!(live(&lake, Table::AlarmEvents).await.is_empty());
    assert!(live(&lake, Table::DeadLetters).await.is_empty());
    // The next flush of the shard commits as version 3.
    assert_eq!(settled.last_version(1), 2);
    let next = written_flush(&lake, &tables, 100).await;
    tables.publish(&next, Some(&txn(3))).await.unwrap();
    assert_eq!(live(&lake, Table::AlarmEvents).await.len(), 1);
}

/// A recovery that fenced a flush and died before it could save its checkpoint leaves the
/// intent pending: the next recovery must see the fence as a fence, not as the flush's commit
/// having begun, or it would complete the flush in its other tables and skip its records,
/// whose first table's rows were never committed.
#[tokio::test]
async fn a_fence_whose_recovery_died_is_still_a_fence_for_the_next_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let files = written_flush(&lake, &LakeTables::new(lake.clone()), 0).await;
    let first = LakeTables::new(lake.clone());
    assert_eq!(
        first.settle(&paths(&files), &txn(1)).await.unwrap(),
        Settled::Fenced
    );
    // The recovering process dies here, before its checkpoint; a second one settles again.
    let second = LakeTables::new(lake.clone());
    assert_eq!(
        second.settle(&paths(&files), &txn(1)).await.unwrap(),
        Settled::Fenced
    );
    assert!(live(&lake, Table::AlarmEvents).await.is_empty());
    assert!(live(&lake, Table::DeadLetters).await.is_empty());
    // The paused writer still cannot publish, and the shard's next flush commits.
    let late = second.publish(&files, Some(&txn(1))).await.unwrap_err();
    assert!(matches!(late, DeltaError::Fenced { .. }), "{late}");
    let next = written_flush(&lake, &second, 100).await;
    second
        .publish(&next, Some(&txn(Settled::Fenced.last_version(1) + 1)))
        .await
        .unwrap();
    assert_eq!(live(&lake, Table::AlarmEvents).await.len(), 1);
    assert_eq!(live(&lake, Table::DeadLetters).await.len(), 1);
}

/// Sets a file's modification time `age` in the past.
fn age(path: &std::path::Path, age: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

#[tokio::test]
async fn vacuum_deletes_old_unreferenced_files_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lake = Lake::open(root.to_str().unwrap(), None).unwrap();
    let tables = LakeTables::new(lake.clone());
    let committed = expander_files(1, 0, 10, false);
    tables.prepare(&committed).await.unwrap();
    lake.write(&committed).await.unwrap();
    tables.publish(&committed, None).await.unwrap();
    // Files no commit references: an old one, a young one, and an old one a consumer's pending
    // intent names (its recovery may still commit it).
    let mut orphans = expander_files(2, 100, 10, false);
    orphans.extend(expander_files(4, 200, 10, false));
    orphans.extend(expander_files(5, 300, 10, false));
    lake.write(&orphans).await.unwrap();
    let two_days = Duration::from_secs(2 * 86_400);
    age(&root.join(&committed[0].path), two_days);
    age(&root.join(&orphans[0].path), two_days);
    age(&root.join(&orphans[2].path), two_days);
    let checkpoint = root.join("_alarmlake/checkpoints/app/stream/shardId-0.json");
    std::fs::create_dir_all(checkpoint.parent().unwrap()).unwrap();
    std::fs::write(
        &checkpoint,
        format!(
            r#"{{"sequence_number":"1","intent":{{"sequence_number":"9","files":["{}"],"version":4}}}}"#,
            orphans[2].path
        ),
    )
    .unwrap();
    let checkpoints = maintenance::checkpoint_locations(&lake, None, None).unwrap();

    let day = chrono::Duration::days(1);
    let short = maintenance::vacuum_lake(
        &lake,
        &Table::ALL,
        chrono::Duration::minutes(5),
        &checkpoints,
        false,
    )
    .await;
    assert!(short.is_err(), "a window under an hour is refused");
    let dry = maintenance::vacuum_lake(&lake, &Table::ALL, day, &checkpoints, true)
        .await
        .unwrap();
    let would: Vec<&String> = dry.iter().flat_map(|v| &v.deleted).collect();
    assert_eq!(would, [&orphans[0].path]);
    assert!(
        root.join(&orphans[0].path).exists(),
        "a dry run deletes nothing"
    );

    let done = maintenance::vacuum_lake(&lake, &Table::ALL, day, &checkpoints, false)
        .await
        .unwrap();
    let deleted: Vec<&String> = done.iter().flat_map(|v| &v.deleted).collect();
    assert_eq!(deleted, [&orphans[0].path]);
    assert_eq!(done.iter().map(|v| v.kept_for_intents).sum::<usize>(), 1);
    assert!(!root.join(&orphans[0].path).exists());
    for kept in [&committed[0].path, &orphans[1].path, &orphans[2].path] {
        assert!(root.join(kept).exists(), "{kept} was deleted");
    }
}

#[tokio::test]
async fn an_earlier_lake_is_converted_all_at_once_and_escaped_names_survive_vacuum() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lake = Lake::open(root.to_str().unwrap(), None).unwrap();
    // What an earlier alarmlake left: files, no log; one named after an escaped source path.
    let mut files = expander_files(1, 0, 10, true);
    files.extend(expander_files(2, 100, 10, false));
    files[0].path = files[0]
        .path
        .replace("fixture.ndjson", "%2Fvar%2Flog%2Fpanel.log");
    lake.write(&files).await.unwrap();
    let tables = LakeTables::new(lake.clone());
    let refused = tables.prepare(&files).await.unwrap_err();
    assert!(
        matches!(refused, DeltaError::Unconverted { .. }),
        "{refused}"
    );
    let checkpoints: Vec<CheckpointLocation> =
        maintenance::checkpoint_locations(&lake, None, None).unwrap();

    let done = maintenance::convert_lake(&lake, &Table::ALL, &checkpoints)
        .await
        .unwrap();
    let registered: usize = done
        .iter()
        .map(|(_, c)| match c {
            Converted::Registered { files, .. } => *files,
            _ => 0,
        })
        .sum();
    assert_eq!(registered, files.len());
    let mut all = live(&lake, Table::AlarmEvents).await;
    all.extend(live(&lake, Table::DeadLetters).await);
    assert_eq!(all, paths(&files).into_iter().collect());
    let again = maintenance::convert_lake(&lake, &Table::ALL, &checkpoints)
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|(_, c)| matches!(c, Converted::AlreadyDelta | Converted::Empty))
    );

    for file in &files {
        age(&root.join(&file.path), Duration::from_secs(30 * 86_400));
    }
    let vacuumed = maintenance::vacuum_lake(
        &lake,
        &Table::ALL,
        chrono::Duration::days(7),
        &checkpoints,
        false,
    )
    .await
    .unwrap();
    assert!(
        vacuumed.iter().all(|v| v.deleted.is_empty()),
        "a committed file was taken for an orphan: {vacuumed:?}"
    );
    assert!(files.iter().all(|f| root.join(&f.path).exists()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushes_of_many_shards_at_once_share_commits_and_a_fenced_one_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let tables = std::sync::Arc::new(LakeTables::new(lake.clone()));
    let shard_txn = |shard: u64, version: i64| ShardTxn {
        app_id: ShardTxn::app_id("app", "stream", &format!("shardId-{shard}")),
        version,
    };
    // Shard 0 already committed version 1: its stale flush of version 1 must be refused.
    let first = expander_files(0, 0, 5, false);
    tables.prepare(&first).await.unwrap();
    lake.write(&first).await.unwrap();
    tables
        .publish(&first, Some(&shard_txn(0, 1)))
        .await
        .unwrap();

    let mut flushes = Vec::new();
    for shard in 0..16u64 {
        let files = expander_files(1, 1000 * (shard + 1), 5, false);
        lake.write(&files).await.unwrap();
        flushes.push((shard, files));
    }
    let mut tasks = Vec::new();
    for (shard, files) in flushes.clone() {
        let tables = tables.clone();
        let txn = shard_txn(shard, 1);
        tasks.push(tokio::spawn(async move {
            tables.publish(&files, Some(&txn)).await
        }));
    }
    let mut versions = BTreeSet::new();
    for (shard, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(published) => {
                assert_ne!(shard, 0, "the stale flush was published");
                versions.extend(published.into_iter().map(|(_, v)| v));
            }
            Err(e) => {
                assert_eq!(shard, 0, "{e}");
                assert!(matches!(e, DeltaError::Fenced { .. }), "{e}");
            }
        }
    }
    assert!(
        versions.len() < 8,
        "15 flushes took {} commits",
        versions.len()
    );
    let mut expected: BTreeSet<String> = paths(&first).into_iter().collect();
    for (shard, files) in &flushes[1..] {
        expected.extend(paths(files));
        assert_eq!(
            tables
                .committed(Table::AlarmEvents, &shard_txn(*shard, 1).app_id)
                .await
                .unwrap(),
            Some(1)
        );
    }
    assert_eq!(live(&lake, Table::AlarmEvents).await, expected);
}
