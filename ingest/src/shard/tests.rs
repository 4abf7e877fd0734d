//! The shard reader against an in-memory stream: what its checkpoint says after each way a
//! read can go, and that the lake holds every record of the shard exactly once.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::watch;

use super::*;
use crate::checkpoint::CheckpointStore;
use crate::kinesis::ErrorKind;
use crate::record_source::memory::Call;
use crate::testing::{Fixture, eventually};

const SHARD: &str = "shardId-000000000000";

async fn read_shard(fixture: &Fixture, shard: &str) -> Result<ShardEnd, ShardError> {
    let acquired = fixture.take(shard).await;
    let info = ShardInfo {
        id: shard.into(),
        parents: vec![],
    };
    let (_stop, stopped) = watch::channel(false);
    run(fixture.ctx.clone(), info, acquired, stopped).await
}

#[tokio::test]
async fn a_drained_shard_is_committed_once_and_a_restart_reads_only_what_followed() {
    let fixture = Fixture::new(&[SHARD]);
    let first = fixture.put_lines(SHARD, 25);

    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Drained
    );
    let stored = fixture.checkpoint(SHARD).await;
    assert_eq!(stored.checkpoint.sequence_number.as_ref(), first.last());
    assert_eq!(stored.checkpoint.records, 25);
    assert!(stored.checkpoint.lease.is_none(), "the lease is released");
    assert!(stored.checkpoint.intent.is_none());
    assert_eq!(fixture.lake_sequences().await, first);

    // A restart resumes after the checkpoint: the second run adds only the new records.
    let second = fixture.put_lines(SHARD, 10);
    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Drained
    );
    assert_eq!(
        fixture
            .checkpoint(SHARD)
            .await
            .checkpoint
            .sequence_number
            .as_ref(),
        second.last()
    );
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    assert!(fixture.stream.calls().contains(&Call::Iterator {
        shard: SHARD.into(),
        start: StartAt::After(first[24].clone()),
    }));

    // Nothing new: a third run writes no file and moves nothing.
    let files = fixture.files().await;
    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Drained
    );
    assert_eq!(fixture.files().await, files);
}

#[tokio::test]
async fn a_flush_cut_off_before_its_commit_is_fenced_and_read_again() {
    let fixture = Fixture::new(&[SHARD]);
    let committed = fixture.put_lines(SHARD, 10);
    read_shard(&fixture, SHARD).await.unwrap();
    let kept = fixture.files().await;
    assert_eq!(fixture.checkpoint(SHARD).await.checkpoint.flushes, 1);

    // A crash between files and commit: the checkpoint names flush 2's file, which exists,
    // and no log references it.
    fixture.put_lines(SHARD, 10);
    let orphan = "alarm_events/date=2026-12-01/hour=07/crashed-batch-v2.parquet";
    std::fs::create_dir_all(fixture.dir.path().join(orphan).parent().unwrap()).unwrap();
    std::fs::copy(&kept[0], fixture.dir.path().join(orphan)).unwrap();
    let mut stored = fixture.checkpoint(SHARD).await;
    stored.checkpoint.intent = Some(Intent {
        sequence_number: "not committed".into(),
        files: vec![orphan.into()],
        version: Some(2),
        records: 10,
        held: None,
    });
    fixture
        .store
        .save(SHARD, &stored.checkpoint, Some(&stored.version))
        .await
        .unwrap();
    assert_eq!(
        fixture.lake_sequences().await.len(),
        10,
        "an uncommitted file is invisible"
    );

    read_shard(&fixture, SHARD).await.unwrap();
    assert!(
        fixture.dir.path().join(orphan).exists(),
        "recovery deletes nothing; vacuum does"
    );
    assert!(!fixture.files().await.iter().any(|f| f.ends_with(orphan)));
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    let checkpoint = fixture.checkpoint(SHARD).await.checkpoint;
    assert_eq!(checkpoint.records, 20);
    assert_eq!(
        checkpoint.flushes, 4,
        "version 2 fenced (the fence is version 3), the reread is 4"
    );
    let app_id = ShardTxn::app_id("app", "alarms", SHARD);
    let committed_txn = fixture
        .ctx
        .tables
        .committed(alarmlake_schemas::Table::AlarmEvents, &app_id)
        .await
        .unwrap();
    assert_eq!(committed_txn, Some(4));
    // The fenced version can never be published, by the crashed writer or anyone, and a
    // late settle of it (a recovery that read the old checkpoint) sees the fence as a fence.
    let late = fixture
        .ctx
        .tables
        .settle(&[orphan.to_string()], &fixture.ctx.txn(SHARD, 2))
        .await
        .unwrap();
    assert_eq!(late, Settled::Fenced);
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    assert!(fixture.stream.calls().contains(&Call::Iterator {
        shard: SHARD.into(),
        start: StartAt::After(committed[9].clone()),
    }));
}

/// A checkpoint store whose saves fail from the `fail_from`-th on, as a store does whose
/// answer is lost after the Delta commit.
#[derive(Debug)]
struct LosesSaves {
    inner: Arc<dyn CheckpointStore>,
    saves: std::sync::atomic::AtomicUsize,
    fail_from: usize,
}

#[async_trait::async_trait]
impl CheckpointStore for LosesSaves {
    async fn load(&self, shard_id: &str) -> Result<Option<Stored>, CheckpointError> {
        self.inner.load(shard_id).await
    }
    async fn save(
        &self,
        shard_id: &str,
        checkpoint: &Checkpoint,
        expected: Option<&Version>,
    ) -> Result<Version, CheckpointError> {
        if self.saves.fetch_add(1, Relaxed) + 1 >= self.fail_from {
            return Err(CheckpointError::Io(std::io::Error::other("answer lost")));
        }
        self.inner.save(shard_id, checkpoint, expected).await
    }
    async fn heartbeat(&self, worker: &str, until_ms: i64) -> Result<(), CheckpointError> {
        self.inner.heartbeat(worker, until_ms).await
    }
    async fn workers(&self) -> Result<Vec<(String, i64)>, CheckpointError> {
        self.inner.workers().await
    }
}

#[tokio::test]
async fn a_flush_committed_before_its_checkpoint_is_completed_not_read_twice() {
    let mut fixture = Fixture::new(&[SHARD]);
    fixture.put_lines(SHARD, 12);
    let acquired = fixture.take(SHARD).await;
    // The intent saves; the checkpoint after the Delta commit does not.
    fixture.ctx.checkpoints = Arc::new(LosesSaves {
        inner: fixture.store.clone(),
        saves: Default::default(),
        fail_from: 2,
    });
    let info = ShardInfo {
        id: SHARD.into(),
        parents: vec![],
    };
    let (_stop, stopped) = watch::channel(false);
    let end = run(fixture.ctx.clone(), info, acquired, stopped).await;
    assert!(end.is_err(), "{end:?}");
    let stored = fixture.checkpoint(SHARD).await.checkpoint;
    assert_eq!(stored.intent.as_ref().and_then(|i| i.version), Some(1));
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());

    fixture.ctx.checkpoints = fixture.store.clone();
    read_shard(&fixture, SHARD).await.unwrap();
    assert_eq!(
        fixture.lake_sequences().await,
        fixture.stream_sequences(),
        "the committed flush is not read and committed again"
    );
    let checkpoint = fixture.checkpoint(SHARD).await.checkpoint;
    assert_eq!(checkpoint.records, 12);
    assert_eq!(checkpoint.flushes, 1);
    assert!(checkpoint.intent.is_none());
}

#[tokio::test]
async fn throttled_failed_and_expired_answers_lose_and_double_nothing() {
    let mut fixture = Fixture::new(&[SHARD]);
    fixture.ctx.records_per_call = 7;
    let sequences = fixture.put_lines(SHARD, 40);
    use ErrorKind::{ExpiredIterator, Throttled, Transient};
    fixture.stream.script_reads(
        SHARD,
        &[
            Some(Throttled),
            None,
            None,
            Some(ExpiredIterator),
            Some(Transient),
            None,
            Some(Throttled),
        ],
    );

    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Drained
    );
    assert_eq!(fixture.lake_sequences().await, sequences);
    let metrics = fixture.ctx.metrics.shard(SHARD);
    assert_eq!(metrics.read_errors.load(Relaxed), 3);
    assert_eq!(metrics.records.load(Relaxed), 40);
    // The expired iterator is replaced at the last record read (two pages of 7), not at the
    // checkpoint or the shard's start.
    assert!(fixture.stream.calls().contains(&Call::Iterator {
        shard: SHARD.into(),
        start: StartAt::After(sequences[13].clone()),
    }));
}

#[tokio::test]
async fn a_closed_shard_is_finished_and_a_finished_shard_is_not_read_again() {
    let fixture = Fixture::new(&[SHARD]);
    fixture.put_lines(SHARD, 12);
    fixture.stream.split(SHARD, &["shardId-000000000001"]);

    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Finished
    );
    let stored = fixture.checkpoint(SHARD).await.checkpoint;
    assert!(stored.finished);
    assert!(stored.lease.is_none());
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());

    let calls = fixture.stream.calls().len();
    assert_eq!(
        read_shard(&fixture, SHARD).await.unwrap(),
        ShardEnd::Finished
    );
    assert_eq!(
        fixture.stream.calls().len(),
        calls,
        "no call to a finished shard"
    );
}

#[tokio::test]
async fn a_reader_whose_lease_was_taken_stops_before_it_writes_again() {
    let mut fixture = Fixture::new(&[SHARD]);
    fixture.ctx.drain = false;
    fixture.ctx.writer.max_age = Duration::from_millis(100);
    let before = fixture.put_lines(SHARD, 10);
    let acquired = fixture.take(SHARD).await;
    let (_stop, stopped) = watch::channel(false);
    let info = ShardInfo {
        id: SHARD.into(),
        parents: vec![],
    };
    let reader = tokio::spawn(run(fixture.ctx.clone(), info, acquired, stopped));

    let last = before.last().cloned();
    assert!(
        eventually(Duration::from_secs(10), || async {
            fixture.checkpoint(SHARD).await.checkpoint.sequence_number == last
        })
        .await,
        "the first batch is committed"
    );
    // Another worker takes the shard (its lease lapsed while this one was paused, say).
    let mut stolen = fixture.checkpoint(SHARD).await;
    stolen.checkpoint.lease = Some(Lease {
        owner: "worker-b".into(),
        until_ms: now_ms() + 60_000,
    });
    fixture
        .store
        .save(SHARD, &stolen.checkpoint, Some(&stolen.version))
        .await
        .unwrap();
    fixture.put_lines(SHARD, 10);

    let end = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the reader stops")
        .unwrap();
    assert!(end.as_ref().is_err_and(ShardError::is_fenced), "{end:?}");
    assert_eq!(
        fixture.lake_sequences().await,
        before,
        "no file after the theft"
    );
    let now = fixture.checkpoint(SHARD).await.checkpoint;
    assert_eq!(now.lease.map(|l| l.owner).as_deref(), Some("worker-b"));
    assert!(now.intent.is_none());
}

#[tokio::test]
async fn the_bare_reader_counts_every_record_and_writes_nothing() {
    let mut fixture = Fixture::new(&[SHARD]);
    fixture.ctx.records_per_call = 9;
    fixture.put_lines(SHARD, 30);
    fixture
        .stream
        .script_reads(SHARD, &[None, Some(ErrorKind::ExpiredIterator)]);
    fixture.ctx.reader = ReaderKind::BareRead;
    let end = read_shard(&fixture, SHARD).await;

    assert_eq!(end.unwrap(), ShardEnd::Drained);
    let metrics = fixture.ctx.metrics.shard(SHARD);
    assert_eq!(
        metrics.records.load(Relaxed),
        30,
        "each record counted once"
    );
    assert_eq!(metrics.events.load(Relaxed), 0, "nothing decoded");
    assert!(fixture.files().await.is_empty());
    let stored = fixture.checkpoint(SHARD).await.checkpoint;
    assert_eq!(stored.sequence_number, None);
    assert!(stored.lease.is_none());
}

/// A keypad message relayed as JSON, stamped `time` by the panel: late when `time`'s hour
/// ended over an hour before the stream's records arrive (2026-12-01 07:00 on).
fn relayed_at(time: &str) -> String {
    format!(
        r#"{{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": false, "backlight_on": false, "battery_low": false, "beeps": 0, "bitfield": "[10000001000100003A0-]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": true, "text": "****DISARMED****  Ready to Arm  ", "time": "{time}", "zone_bypassed": false}}"#
    )
}

/// The `alarm_events` files of the snapshot in the hour folder `hour`.
async fn files_in(fixture: &Fixture, hour: &str) -> usize {
    let files = fixture.files().await;
    files
        .iter()
        .filter(|f| f.to_string_lossy().contains(hour))
        .count()
}

#[tokio::test]
async fn late_rows_are_held_per_hour_and_a_crash_reads_them_again_exactly_once() {
    let mut fixture = Fixture::new(&[SHARD]);
    fixture.ctx.writer = WriterConfig {
        max_age: Duration::from_millis(50),
        late: Some(alarmlake_transform::late_rows::LateRule {
            after: chrono::Duration::hours(1),
            hold: Duration::from_secs(3600),
        }),
        ..WriterConfig::default()
    };
    fixture.ctx.records_per_call = 4;
    fixture.ctx.drain = false;
    let (late_a, late_b) = ("date=2026-11-30/hour=10", "date=2026-11-30/hour=22");
    let mut put = |i: usize| match i % 3 {
        0 => fixture
            .stream
            .put(SHARD, relayed_at("2026-11-30T10:15:00").as_bytes()),
        1 => fixture
            .stream
            .put(SHARD, relayed_at("2026-11-30T22:40:00").as_bytes()),
        _ => fixture.put_lines(SHARD, 1).remove(0),
    };
    let first: Vec<String> = (0..30).map(&mut put).collect();

    // A reader that flushes every 50 ms, killed (its task aborted) once everything read is
    // committed: the late rows it held die with it.
    let acquired = fixture.take(SHARD).await;
    let info = ShardInfo {
        id: SHARD.into(),
        parents: vec![],
    };
    let (_stop, stopped) = watch::channel(false);
    let reader = tokio::spawn(run(fixture.ctx.clone(), info, acquired, stopped));
    let last = first.last().cloned();
    assert!(
        eventually(Duration::from_secs(10), || async {
            fixture.checkpoint(SHARD).await.checkpoint.sequence_number == last
        })
        .await
    );
    reader.abort();
    let _ = reader.await;
    let stored = fixture.checkpoint(SHARD).await.checkpoint;
    let held = stored.held.clone().expect("late hours held");
    assert_eq!(
        held.hours.keys().cloned().collect::<Vec<_>>(),
        [late_a, late_b],
        "{held:?}"
    );
    assert_eq!(held.hours[late_a], first[0]);
    assert_eq!(held.hours[late_b], first[1]);
    // The on-time rows are committed; the late ones are in no file yet.
    assert_eq!(fixture.lake_sequences().await.len(), 10);
    assert_eq!(files_in(&fixture, late_a).await, 0);
    assert_eq!(stored.records, 30);

    // More records, then a restart that drains: it goes back to the first held record, keeps
    // only the held rows of what it read before, and writes each late hour as one file.
    (30..40).for_each(|i| drop(put(i)));
    fixture.ctx.drain = true;
    read_shard(&fixture, SHARD).await.unwrap();
    assert!(fixture.stream.calls().contains(&Call::Iterator {
        shard: SHARD.into(),
        start: StartAt::At(first[0].clone()),
    }));
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    assert_eq!(files_in(&fixture, late_a).await, 1);
    assert_eq!(files_in(&fixture, late_b).await, 1);
    let stored = fixture.checkpoint(SHARD).await.checkpoint;
    assert!(stored.held.is_none(), "{:?}", stored.held);
    assert_eq!(
        stored.records, 40,
        "records read again are not counted again"
    );
    let totals = fixture.ctx.metrics.totals();
    assert_eq!(totals.events, 40, "nor are their events");
    // But they were read, and the metrics say why reads outnumber events.
    assert_eq!((totals.records, totals.replayed), (30 + 40, 30));
}
