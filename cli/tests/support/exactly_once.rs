//! A stream filled with generated records, and the checks that a lake holds each of them
//! exactly once: in the latest snapshot, and in every version of every table's log.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::kinesis::{endpoint, generated_records as lines, put_stream};
use super::{POSITIONS_SQL, S3Lake, count_positions, run_ok, sql_csv, unique};

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every (shard, sequence number) in the lake, with how often it appears.
pub fn lake_positions(lake: &Path) -> BTreeMap<(String, String), usize> {
    count_positions(&run_ok(&mut sql_csv(lake, POSITIONS_SQL)).stdout)
}

/// The lake holds exactly `expected`: nothing missing, nothing twice, nothing else.
pub fn assert_exactly_once(lake: &Path, expected: &BTreeSet<(String, String)>) {
    let found = lake_positions(lake);
    let doubled: Vec<_> = found.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(doubled.is_empty(), "duplicated positions: {doubled:?}");
    let missing: Vec<_> = expected
        .iter()
        .filter(|p| !found.contains_key(*p))
        .take(5)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} positions missing, e.g. {missing:?}",
        expected.iter().filter(|p| !found.contains_key(*p)).count(),
        expected.len()
    );
    assert_eq!(found.len(), expected.len(), "positions that were never put");
}

/// The committed sequence number of every shard, from the local checkpoint files.
pub fn checkpoints(lake: &Path, stream: &str) -> BTreeMap<String, serde_json::Value> {
    let dir = lake.join("_alarmlake/checkpoints/alarmlake").join(stream);
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let value: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            found.insert(
                path.file_stem().unwrap().to_string_lossy().into_owned(),
                value,
            );
        }
    }
    found
}

/// A stream of `shards` shards filled with `count` lines from `homes` homes, and a temporary
/// folder for the lake: the start of most tests here. `None` without the emulators.
pub struct Filled {
    pub endpoint: String,
    pub stream: String,
    /// The (shard, sequence number) of every record put.
    pub expected: BTreeSet<(String, String)>,
    pub dir: tempfile::TempDir,
    /// `<dir>/lake`, not yet created.
    pub lake: PathBuf,
}

impl Filled {
    /// A four-shard stream as [`Filled::start`] fills it, and an empty S3 lake.
    pub fn on_s3(name: &str, homes: usize, count: usize) -> Option<(Filled, S3Lake)> {
        let filled = Filled::start(name, homes, count, 4)?;
        Some((filled, S3Lake::create(name)?))
    }

    /// Endpoint, stream, expected positions, folder and lake, borrowed.
    pub fn parts(&self) -> (&str, &str, &BTreeSet<(String, String)>, &Path, &Path) {
        (
            &self.endpoint,
            &self.stream,
            &self.expected,
            self.dir.path(),
            &self.lake,
        )
    }

    pub fn start(name: &str, homes: usize, count: usize, shards: i32) -> Option<Filled> {
        let endpoint = endpoint()?;
        let stream = unique(name);
        let records = lines(homes, count);
        let expected = runtime().block_on(put_stream(&endpoint, &stream, shards, &records));
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        Some(Filled {
            endpoint,
            stream,
            expected,
            dir,
            lake,
        })
    }
}

/// A failed test keeps its folder (workers' logs, the lake) for a look afterwards.
impl Drop for Filled {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dir.disable_cleanup(true);
            eprintln!("kept {} for a look", self.dir.path().display());
        }
    }
}

/// A worker of a multi-worker test: named, with short leases, discovery every second and
/// flushes every second.
pub fn worker_args<'a>(name: &'a str, lease_secs: &'a str) -> Vec<&'a str> {
    vec![
        "--worker-id",
        name,
        "--lease-secs",
        lease_secs,
        "--discovery-secs",
        "1",
        "--max-age-secs",
        "1",
    ]
}

/// Every stream position (shard, sequence and sub-sequence number, event index) of the rows
/// of a data file.
pub fn file_positions(path: &Path) -> Vec<String> {
    use arrow::array::{Array, AsArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let text = |batch: &arrow::array::RecordBatch, name: &str| {
        let column = batch.column_by_name(name).unwrap();
        arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8).unwrap()
    };
    let mut positions = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let columns: Vec<_> = [
            "shard_id",
            "sequence_number",
            "sub_sequence_number",
            "event_index",
        ]
        .iter()
        .map(|name| text(&batch, name))
        .collect();
        for row in 0..batch.num_rows() {
            let key: Vec<&str> = columns
                .iter()
                .map(|c| c.as_string::<i32>().value(row))
                .collect();
            assert!(!columns[0].is_null(row));
            positions.push(key.join("/"));
        }
    }
    positions
}

/// Replays every version of every table's log under `lake` (a local copy), and fails if any
/// version references one stream position twice. Returns the number of versions replayed.
pub fn assert_no_version_doubles_a_position(lake: &Path) -> usize {
    let mut versions = 0;
    for table in [
        "alarm_events",
        "mode_events",
        "camera_media",
        "dead_letters",
        "bulk_records",
    ] {
        let log = lake.join(table).join("_delta_log");
        let Ok(entries) = std::fs::read_dir(&log) else {
            continue;
        };
        let mut commits: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        commits.sort();
        let mut live: BTreeMap<String, usize> = BTreeMap::new();
        let mut cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for commit in commits {
            let text = std::fs::read_to_string(&commit).unwrap();
            let actions: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            // Within a commit, removes go first (compaction replaces files in one commit).
            for (kind, sign) in [("remove", -1i64), ("add", 1)] {
                for action in &actions {
                    let Some(path) = action[kind]["path"].as_str() else {
                        continue;
                    };
                    let decoded = path.replace("%25", "%");
                    let rows = cache
                        .entry(decoded.clone())
                        .or_insert_with(|| file_positions(&lake.join(table).join(&decoded)));
                    for position in rows.iter() {
                        let count = live.entry(position.clone()).or_insert(0);
                        *count = (*count as i64 + sign) as usize;
                        assert!(
                            *count <= 1,
                            "{table} {}: position {position} referenced twice",
                            commit.display()
                        );
                    }
                }
            }
            versions += 1;
        }
    }
    versions
}
