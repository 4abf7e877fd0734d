//! Fixtures for the reader's and the coordinator's unit tests: an in-memory stream, a lake in a
//! temporary folder with file checkpoints, and the rows read back from the lake's Parquet files.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alarmlake_schemas::{Decoder, DecoderConfig, Table};
use alarmlake_transform::commit::checkpoints_of;
use alarmlake_transform::delta::{LakeTables, TableLog};
use alarmlake_transform::{Lake, WriterConfig};
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tempfile::TempDir;

use crate::checkpoint::file::FileStore;
use crate::checkpoint::{CheckpointStore, Stored};
use crate::kinesis::StartAt;
use crate::lease::{Acquired, LeaseOptions, acquire};
use crate::metrics::Metrics;
use crate::record_source::memory::MemoryStream;
use crate::shard::{ReaderKind, ShardContext};

/// Real-looking AlarmDecoder lines: a keypad message and an RF zone message. Each decodes to
/// one `alarm_events` row.
const LINES: [&str; 2] = [
    r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
    "!RFX:0180036,80",
];

pub(crate) const WORKER: &str = "worker-a";

/// A lake, its checkpoints and a stream, wired as `alarmlake consume` wires them.
pub(crate) struct Fixture {
    pub dir: TempDir,
    pub stream: MemoryStream,
    pub store: Arc<FileStore>,
    pub ctx: ShardContext<MemoryStream>,
}

impl Fixture {
    /// A stream with open shards `shards`, read from the start, in drain mode, with the
    /// production writer settings.
    pub fn new(shards: &[&str]) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary folder");
        let stream = MemoryStream::new("alarms", shards);
        let lake = Lake::open(dir.path().to_str().expect("utf-8 path"), None).expect("local lake");
        let store = Arc::new(
            FileStore::open(&dir.path().join(checkpoints_of("app", "alarms")))
                .expect("checkpoint folder"),
        );
        let ctx = ShardContext {
            source: stream.clone(),
            tables: Arc::new(LakeTables::new(lake.clone())),
            app: "app".into(),
            stream: "alarms".into(),
            lake: Arc::new(lake),
            checkpoints: store.clone(),
            decoder: Arc::new(Decoder::new(DecoderConfig::default())),
            writer: WriterConfig::default(),
            metrics: Arc::new(Metrics::default()),
            lease: LeaseOptions {
                worker: WORKER.into(),
                duration: Duration::from_secs(30),
            },
            drain: true,
            initial: StartAt::TrimHorizon,
            records_per_call: 10_000,
            reader: ReaderKind::Lake,
        };
        Fixture {
            dir,
            stream,
            store,
            ctx,
        }
    }

    /// Appends `count` AlarmDecoder lines to `shard`; returns their sequence numbers.
    pub fn put_lines(&self, shard: &str, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| self.stream.put(shard, LINES[i % LINES.len()].as_bytes()))
            .collect()
    }

    /// Takes `shard`'s lease for this fixture's worker, as the coordinator does before it
    /// starts a reader.
    pub async fn take(&self, shard: &str) -> Stored {
        match acquire(self.store.as_ref(), shard, &self.ctx.lease).await {
            Ok(Acquired::Mine(stored)) => *stored,
            other => panic!("cannot take {shard}: {other:?}"),
        }
    }

    /// The shard's stored checkpoint.
    pub async fn checkpoint(&self, shard: &str) -> Stored {
        self.store
            .load(shard)
            .await
            .expect("checkpoint readable")
            .unwrap_or_else(|| panic!("{shard} has no checkpoint"))
    }

    /// The Parquet files of `alarm_events` that its latest Delta snapshot holds: what a reader
    /// of the table sees.
    pub async fn files(&self) -> Vec<PathBuf> {
        let Some(log) = TableLog::open(&self.ctx.lake, Table::AlarmEvents)
            .await
            .expect("a readable log")
        else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = log
            .files()
            .expect("a snapshot")
            .into_iter()
            .map(|f| self.dir.path().join(f.path))
            .collect();
        files.sort();
        files
    }

    /// The sequence number of every `alarm_events` row the table's latest snapshot holds,
    /// sorted: a record read twice shows twice, a record lost is missing.
    pub async fn lake_sequences(&self) -> Vec<String> {
        let mut sequences = Vec::new();
        for file in self.files().await {
            let bytes = Bytes::from(std::fs::read(&file).expect("readable file"));
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .and_then(|b| b.build())
                .expect("a Parquet file");
            for batch in reader {
                let batch = batch.expect("a readable batch");
                let column = batch
                    .column_by_name("sequence_number")
                    .expect("a sequence_number column");
                let column = arrow::compute::cast(column, &DataType::Utf8).expect("text");
                let strings = column.as_string::<i32>();
                sequences.extend((0..strings.len()).map(|i| strings.value(i).to_string()));
            }
        }
        sequences.sort();
        sequences
    }

    /// Every record's sequence number the stream holds, sorted.
    pub fn stream_sequences(&self) -> Vec<String> {
        self.stream
            .all_records()
            .into_iter()
            .map(|r| r.position.sequence_number)
            .collect()
    }
}

/// Waits up to `limit` for `condition`, checking every 50 ms; returns whether it came true.
pub(crate) async fn eventually<F, Fut>(limit: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
