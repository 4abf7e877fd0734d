//! The sink every source feeds: decoding (with KPL de-aggregation), the pending counts the
//! whole-flush policy reads, and a flush through a commit hook, read back from the Parquet
//! files it wrote.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alarmlake_schemas::kpl::{UserRecord, aggregate};
use alarmlake_schemas::{Decoder, DecoderConfig, RawRecord, RecordPosition, Tally};
use alarmlake_transform::sink::{CommitHook, FeedError, Pending, Sink, WriteToLake, ingest_feed};
use alarmlake_transform::{Lake, PreparedFile, WriterConfig};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const KEYPAD: &str = r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#;
const RFX: &str = "!RFX:0180036,80";
const CHATTER: &str = "!Sending.done";

fn arrival(second: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-12-01T07:00:{second:02}Z"))
        .unwrap()
        .with_timezone(&Utc)
}

fn kinesis_record(sequence: u64, data: Vec<u8>) -> RawRecord {
    RawRecord {
        data,
        position: RecordPosition {
            stream: "alarms".into(),
            shard_id: "shardId-000000000000".into(),
            sequence_number: format!("4959{sequence:020}"),
            sub_sequence_number: 0,
            partition_key: Some("home-1".into()),
            arrival_time: arrival(sequence as u32),
        },
    }
}

fn sink(config: WriterConfig) -> Sink {
    Sink::new(Arc::new(Decoder::new(DecoderConfig::default())), config)
}

/// Rows in a Parquet file of a local lake, as its footer says.
fn rows(root: &std::path::Path, path: &str) -> usize {
    let bytes = Bytes::from(std::fs::read(root.join(path)).unwrap());
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    reader.metadata().file_metadata().num_rows() as usize
}

/// A hook that writes like `WriteToLake` and remembers what each commit held.
struct Recording<'a> {
    inner: WriteToLake<'a>,
    commits: Vec<(Vec<String>, Pending)>,
}

impl CommitHook for Recording<'_> {
    type Error = <WriteToLake<'static> as CommitHook>::Error;

    async fn commit(
        &mut self,
        files: Vec<PreparedFile>,
        pending: &Pending,
    ) -> Result<(), Self::Error> {
        let paths = files.iter().map(|f| f.path.clone()).collect();
        self.inner.commit(files, pending).await?;
        self.commits.push((paths, *pending));
        Ok(())
    }
}

#[tokio::test]
async fn a_kpl_aggregate_counts_once_and_each_of_its_events_becomes_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let mut sink = sink(WriterConfig::default()).deaggregating();
    let users: Vec<UserRecord> = [KEYPAD, RFX, CHATTER]
        .iter()
        .map(|line| UserRecord {
            partition_key: "home-1".into(),
            explicit_hash_key: None,
            data: line.as_bytes().to_vec(),
        })
        .collect();
    let now = Instant::now();
    let mut tally = Tally::default();
    let outcomes = sink.push(kinesis_record(1, aggregate(&users)), now, &mut tally);
    assert_eq!(outcomes.len(), 3);
    sink.push(kinesis_record(2, b"{not json".to_vec()), now, &mut tally);
    assert_eq!((tally.events, tally.rejected, tally.chatter), (2, 1, 1));
    let pending = *sink.pending();
    assert_eq!(pending.records, 2);
    assert_eq!(pending.rows, 3, "chatter makes no row");
    assert_eq!(
        pending.bytes,
        KEYPAD.len() + RFX.len() + CHATTER.len() + "{not json".len()
    );
    assert_eq!(pending.oldest_arrival, Some(arrival(1)));

    let mut hook = Recording {
        inner: WriteToLake::new(&lake),
        commits: Vec::new(),
    };
    sink.flush_all(&mut hook).await.unwrap();
    assert_eq!(
        *sink.pending(),
        Pending::default(),
        "a flush empties the sink"
    );
    let [(paths, flushed)] = &hook.commits[..] else {
        panic!("one commit: {:?}", hook.commits);
    };
    assert_eq!(*flushed, pending);
    let mut written = 0;
    for path in paths {
        written += rows(dir.path(), path);
    }
    assert_eq!(written, 3, "two events and a dead letter, read back");
    assert!(paths.iter().any(|p| p.starts_with("dead_letters/")));
}

#[test]
fn the_whole_is_due_by_size_rows_or_age() {
    let config = WriterConfig {
        target_bytes: 2 * KEYPAD.len(),
        max_rows: 100,
        max_age: Duration::from_secs(60),
        ..WriterConfig::default()
    };
    let mut sink = sink(config);
    let start = Instant::now();
    let mut tally = Tally::default();
    assert!(!sink.whole_due(start + Duration::from_secs(3600)), "empty");
    sink.push(kinesis_record(1, KEYPAD.into()), start, &mut tally);
    assert!(!sink.whole_due(start));
    assert!(sink.whole_due(start + Duration::from_secs(60)), "by age");
    sink.push(kinesis_record(2, KEYPAD.into()), start, &mut tally);
    assert!(sink.whole_due(start), "by size");
    let (batches, pending) = sink.take_all().unwrap();
    assert_eq!(pending.records, 2);
    assert!(!batches.is_empty());
    assert!(!sink.whole_due(start + Duration::from_secs(3600)));
}

#[test]
fn a_feed_writes_every_row_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
    let config = WriterConfig {
        max_rows: 500,
        ..WriterConfig::default()
    };
    let lines = 3_000u64;
    let summary = ingest_feed(
        &lake,
        sink(config),
        |push| -> Result<(), FeedError> {
            for n in 1..=lines {
                let line = if n % 100 == 0 { "garbage" } else { KEYPAD };
                push(RawRecord {
                    data: line.into(),
                    position: RecordPosition::line("file", "in.txt", n, arrival(0)),
                })?;
            }
            Ok(())
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(summary.records, lines);
    assert_eq!(summary.tally.events + summary.tally.rejected, lines);
    assert_eq!(summary.tally.rejected, 30);
    assert!(summary.files >= 2, "a file per 500 rows or so");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let listed = runtime.block_on(lake.list("")).unwrap();
    let total: usize = listed
        .iter()
        .filter(|p| p.ends_with(".parquet"))
        .map(|p| rows(dir.path(), p))
        .sum();
    assert_eq!(total as u64, lines);
}
