//! The load generator's manifest: what it put into the stream, per shard, so that a harness
//! can prove the lake holds exactly that. Next to the JSON summary, a positions file lists every
//! Kinesis record it put (`shard_id,sequence_number,user_records`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use alarmlake_schemas::sequence::SequenceNumber;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one shard received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub kinesis_records: u64,
    /// User records: one per generated line (several per Kinesis record with KPL aggregation).
    pub events: u64,
    pub first_sequence_number: String,
    pub last_sequence_number: String,
}

impl ShardManifest {
    fn add(&mut self, sequence: &str, events: u64) {
        let number = |s: &str| SequenceNumber::parse(s).ok();
        if self.kinesis_records == 0 || number(sequence) < number(&self.first_sequence_number) {
            self.first_sequence_number = sequence.to_string();
        }
        if self.kinesis_records == 0 || number(sequence) > number(&self.last_sequence_number) {
            self.last_sequence_number = sequence.to_string();
        }
        self.kinesis_records += 1;
        self.events += events;
    }
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub stream: String,
    pub format: String,
    pub kpl_aggregate: bool,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub seconds: f64,
    /// Events per second asked for; `None`: as fast as the stream took them.
    pub target_rate: Option<f64>,
    pub achieved_rate: f64,
    pub events: u64,
    pub kinesis_records: u64,
    pub bytes: u64,
    /// Records a PutRecords call refused (throttling) and that were sent again.
    pub retried_records: u64,
    /// PutRecords calls that failed as a whole and were sent again.
    pub retried_calls: u64,
    /// Records sent again after a call whose outcome was unknown (a timeout, a lost answer, a
    /// 5xx): the stream may hold them twice, at positions this manifest does not list.
    #[serde(default)]
    pub maybe_doubled_records: u64,
    /// The events inside those records.
    #[serde(default)]
    pub maybe_doubled_events: u64,
    pub shards: BTreeMap<String, ShardManifest>,
    /// The positions file, relative to the manifest.
    pub positions_file: String,
}

/// Collects the manifest while records are acknowledged, writing positions as they come.
pub struct Recorder {
    shards: BTreeMap<String, ShardManifest>,
    positions: Option<std::io::BufWriter<std::fs::File>>,
    positions_path: Option<PathBuf>,
}

impl Recorder {
    /// Writes positions next to `manifest` (`<manifest>.positions.csv`) when one is asked for.
    pub fn new(manifest: Option<&Path>) -> Result<Recorder> {
        let positions_path = manifest.map(positions_path);
        let positions = match &positions_path {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                writeln!(out, "shard_id,sequence_number,user_records")?;
                Some(out)
            }
            None => None,
        };
        Ok(Recorder {
            shards: BTreeMap::new(),
            positions,
            positions_path,
        })
    }

    /// One acknowledged Kinesis record.
    pub fn record(&mut self, shard: &str, sequence: &str, events: u64) -> Result<()> {
        self.shards
            .entry(shard.to_string())
            .or_default()
            .add(sequence, events);
        if let Some(out) = &mut self.positions {
            writeln!(out, "{shard},{sequence},{events}")?;
        }
        Ok(())
    }

    pub fn shards(&self) -> &BTreeMap<String, ShardManifest> {
        &self.shards
    }

    /// Finishes the positions file and names it as the manifest will.
    pub fn finish(mut self) -> Result<(BTreeMap<String, ShardManifest>, String)> {
        if let Some(mut out) = self.positions.take() {
            out.flush()?;
        }
        let name = self
            .positions_path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((self.shards, name))
    }
}

/// `<manifest>.positions.csv`.
pub fn positions_path(manifest: &Path) -> PathBuf {
    let mut name = manifest.file_name().unwrap_or_default().to_os_string();
    name.push(".positions.csv");
    manifest.with_file_name(name)
}

impl Manifest {
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a manifest", path.display()))
    }

    /// Every Kinesis record put, from the positions file: (shard, sequence number, user records).
    pub fn positions(&self, manifest_path: &Path) -> Result<Vec<(String, String, u64)>> {
        let path = manifest_path.with_file_name(&self.positions_file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        text.lines()
            .skip(1)
            .map(|line| {
                let mut parts = line.split(',');
                let (Some(shard), Some(seq), Some(n)) = (parts.next(), parts.next(), parts.next())
                else {
                    anyhow::bail!("bad line in {}: {line:?}", path.display());
                };
                Ok((shard.to_string(), seq.to_string(), n.parse()?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_compare_sequence_numbers_as_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let mut recorder = Recorder::new(Some(&path)).unwrap();
        recorder.record("shard-0", "900", 1).unwrap();
        recorder.record("shard-0", "1000", 3).unwrap();
        recorder.record("shard-0", "95", 1).unwrap();
        recorder.record("shard-1", "7", 1).unwrap();
        let (shards, file) = recorder.finish().unwrap();
        let zero = &shards["shard-0"];
        assert_eq!((zero.kinesis_records, zero.events), (3, 5));
        assert_eq!(
            (
                zero.first_sequence_number.as_str(),
                zero.last_sequence_number.as_str()
            ),
            ("95", "1000")
        );
        let manifest = Manifest {
            stream: "s".into(),
            format: "mixed".into(),
            kpl_aggregate: false,
            started: Utc::now(),
            finished: Utc::now(),
            seconds: 1.0,
            target_rate: Some(10.0),
            achieved_rate: 6.0,
            events: 6,
            kinesis_records: 4,
            bytes: 100,
            retried_records: 0,
            retried_calls: 0,
            maybe_doubled_records: 0,
            maybe_doubled_events: 0,
            shards,
            positions_file: file,
        };
        manifest.write(&path).unwrap();
        let read = Manifest::read(&path).unwrap();
        assert_eq!(read, manifest);
        let positions = read.positions(&path).unwrap();
        assert_eq!(positions.len(), 4);
        assert_eq!(positions[1], ("shard-0".to_string(), "1000".to_string(), 3));
    }
}
