//! The coordinator over an in-memory stream: resharding order (parents to their end before
//! any child), a split in the middle of a run, and a failed reader restarted from its
//! checkpoint, each checked against the rows the lake holds.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::watch;

use super::*;
use crate::checkpoint::CheckpointStore;
use crate::kinesis::StartAt;
use crate::record_source::memory::Call;
use crate::testing::{Fixture, eventually};

const PARENT: &str = "shardId-000000000000";
const LEFT: &str = "shardId-000000000001";
const RIGHT: &str = "shardId-000000000002";

fn quick() -> ConsumerOptions {
    ConsumerOptions {
        discovery_interval: Duration::from_millis(100),
        ..ConsumerOptions::default()
    }
}

/// Where in the call log `shard` was first and last asked for anything.
fn span(calls: &[Call], shard: &str) -> (usize, usize) {
    let of_shard = |call: &Call| match call {
        Call::Iterator { shard: s, .. }
        | Call::GetRecords { shard: s, .. }
        | Call::Failed { shard: s, .. } => s == shard,
    };
    let first = calls.iter().position(of_shard).expect("the shard was read");
    let last = calls
        .iter()
        .rposition(of_shard)
        .expect("the shard was read");
    (first, last)
}

#[tokio::test]
async fn a_parent_is_read_to_its_end_before_either_child_starts() {
    let mut fixture = Fixture::new(&[PARENT]);
    // Several pages, paced apart: a child started too early would be read in between.
    fixture.ctx.records_per_call = 5;
    fixture.put_lines(PARENT, 20);
    fixture.stream.split(PARENT, &[LEFT, RIGHT]);
    fixture.put_lines(LEFT, 10);
    fixture.put_lines(RIGHT, 10);
    let (_stop, stopped) = watch::channel(false);

    let summary = run(fixture.ctx.clone(), quick(), stopped).await.unwrap();

    assert_eq!(summary.finished_shards, 1);
    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    let calls = fixture.stream.calls();
    let (_, parent_last) = span(&calls, PARENT);
    for child in [LEFT, RIGHT] {
        let (child_first, _) = span(&calls, child);
        assert!(
            parent_last < child_first,
            "{child} started before its parent ended"
        );
        assert_eq!(
            calls[child_first],
            Call::Iterator {
                shard: child.into(),
                start: StartAt::TrimHorizon
            },
            "a child is read from its start"
        );
    }
    assert!(fixture.checkpoint(PARENT).await.checkpoint.finished);
}

#[tokio::test]
async fn a_split_in_the_middle_of_a_run_loses_and_doubles_nothing() {
    let mut fixture = Fixture::new(&[PARENT]);
    fixture.ctx.drain = false;
    fixture.ctx.writer.max_age = Duration::from_millis(100);
    let first = fixture.put_lines(PARENT, 15);
    let (stop, stopped) = watch::channel(false);
    let consumer = tokio::spawn(run(fixture.ctx.clone(), quick(), stopped));

    let committed = first.last().cloned();
    assert!(
        eventually(Duration::from_secs(10), || async {
            fixture
                .store
                .load(PARENT)
                .await
                .ok()
                .flatten()
                .and_then(|s| s.checkpoint.sequence_number)
                == committed
        })
        .await
    );
    fixture.put_lines(PARENT, 5);
    fixture.stream.split(PARENT, &[LEFT, RIGHT]);
    fixture.put_lines(LEFT, 10);
    fixture.put_lines(RIGHT, 10);
    assert!(
        eventually(Duration::from_secs(20), || async {
            fixture.lake_sequences().await.len() >= 40
        })
        .await,
        "the children are read"
    );
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), consumer)
        .await
        .expect("the consumer stops")
        .unwrap()
        .unwrap();

    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    assert!(fixture.checkpoint(PARENT).await.checkpoint.finished);
    for shard in [PARENT, LEFT, RIGHT] {
        assert!(fixture.checkpoint(shard).await.checkpoint.lease.is_none());
    }
}

#[tokio::test]
async fn a_reader_that_fails_is_restarted_from_its_checkpoint() {
    let mut fixture = Fixture::new(&[PARENT]);
    fixture.ctx.records_per_call = 8;
    fixture.put_lines(PARENT, 30);
    // The third call gets an error no retry can fix (a bad request, say): the reader returns
    // it, its buffered records are dropped uncommitted, and a new reader starts over.
    fixture
        .stream
        .script_reads(PARENT, &[None, None, Some(ErrorKind::Other)]);
    let (_stop, stopped) = watch::channel(false);

    run(fixture.ctx.clone(), quick(), stopped).await.unwrap();

    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    let starts: Vec<StartAt> = fixture
        .stream
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::Iterator { start, .. } => Some(start),
            _ => None,
        })
        .collect();
    assert_eq!(starts, [StartAt::TrimHorizon, StartAt::TrimHorizon]);
}

/// A reader that panics is restarted like one that fails, and counted: its shard is not left
/// in the running set, read by no one, with a drain that never ends.
#[tokio::test]
async fn a_reader_that_panics_is_restarted_and_a_drain_still_ends() {
    let mut fixture = Fixture::new(&[PARENT, LEFT]);
    fixture.ctx.records_per_call = 8;
    fixture.ctx.drain = true;
    fixture.put_lines(PARENT, 30);
    fixture.put_lines(LEFT, 30);
    fixture.stream.script_panics(PARENT, 2);
    let (_stop, stopped) = watch::channel(false);

    let finished = tokio::time::timeout(
        Duration::from_secs(60),
        run(fixture.ctx.clone(), quick(), stopped),
    )
    .await
    .expect("the drain ended");
    finished.unwrap();

    assert_eq!(fixture.lake_sequences().await, fixture.stream_sequences());
    assert_eq!(fixture.ctx.metrics.reader_restarts.load(Relaxed), 2);
}
