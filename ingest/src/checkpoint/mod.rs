//! Per-shard checkpoints, with the intent that makes writes exactly-once (docs/ARCHITECTURE.md,
//! "Exactly-once"):
//!
//! 1. before a batch's files are written, the checkpoint records an *intent*: the files it is
//!    about to write, the position they end at, and the flush's txn version;
//! 2. the files are written, one atomic put each;
//! 3. they are committed to each table's Delta log with the shard's txn at that version;
//! 4. the checkpoint moves to that position and the intent is cleared, in one write.
//!
//! A consumer that finds an intent on start settles it: completes the Delta commits if the
//! first had landed, fences the version otherwise, so a crash anywhere leaves every event in
//! the lake exactly once.
//!
//! Stores are chosen by URL: a local folder ([`file::FileStore`]), or the lake's object store
//! with conditional writes ([`object::ObjectStoreCheckpoints`]). Every save names the version it
//! read; a store refuses a save over a version it no longer holds, which is how a worker learns
//! that someone else took its shard (fencing).

pub mod file;
pub mod object;

pub use alarmlake_transform::commit::Intent;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use alarmlake_aws::S3Settings;
use alarmlake_transform::Lake;
use alarmlake_transform::commit::checkpoints_of;
use alarmlake_transform::late_rows::Held;

use crate::consumer::KinesisSource;

use serde::{Deserialize, Serialize};

/// What a shard's checkpoint object holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last record whose events are committed to the lake; `None` before the first commit.
    pub sequence_number: Option<String>,
    /// The shard reached SHARD_END and everything in it is committed: its children may start.
    #[serde(default)]
    pub finished: bool,
    /// A batch being written; see the module documentation.
    #[serde(default)]
    pub intent: Option<Intent>,
    /// Records committed from this shard since the checkpoint was created.
    #[serde(default)]
    pub records: u64,
    /// The txn version of the shard's last settled flush in the tables' Delta logs; the next
    /// flush commits with one more.
    #[serde(default)]
    pub flushes: i64,
    /// Which worker reads the shard, and until when; see [`crate::lease`].
    #[serde(default)]
    pub lease: Option<Lease>,
    /// Late hours read but held, not yet in the lake: a reader without them in memory starts
    /// at the earliest one's record (`alarmlake_transform::late_rows`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

/// A worker's claim on a shard. It lapses at `until_ms` unless renewed; since every checkpoint
/// save is conditional, a worker whose lease was taken over fails its next save and stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub owner: String,
    /// Milliseconds since the Unix epoch.
    pub until_ms: i64,
}

/// The version of a stored checkpoint, as the store knows it (an ETag, or a counter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The stored checkpoint changed since it was read: another worker owns the shard now.
    #[error("checkpoint of shard {0} was changed by another worker")]
    Conflict(String),
    #[error("checkpoint folder {path} is in use by another consumer (lock held)")]
    Locked { path: String },
    #[error("checkpoint {name} is not valid JSON: {source}")]
    Corrupt {
        name: String,
        source: serde_json::Error,
    },
    #[error("checkpoint store I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("checkpoint store: {0}")]
    Store(#[from] object_store::Error),
    #[error("checkpoint store: {0}")]
    Lake(#[from] alarmlake_transform::LakeError),
    #[error("checkpoint location {0:?} is not a folder or an object store URL")]
    Location(String),
}

/// The checkpoint store of `source`: its explicit location, else next to the lake (a folder
/// for a local lake, the lake's own bucket with conditional writes for S3).
pub(crate) fn open_store(
    source: &KinesisSource,
    lake: &Lake,
    s3: &S3Settings,
) -> Result<Arc<dyn CheckpointStore>, CheckpointError> {
    let namespace = format!("{}/{}", source.app, source.stream);
    let on_s3 = |location: &str| location.starts_with("s3://");
    match source.checkpoints.as_deref() {
        Some(url) if on_s3(url) => {
            let store = Lake::open(url, Some(s3))?;
            let prefix = store.path(&namespace)?;
            Ok(Arc::new(object::ObjectStoreCheckpoints::new(
                store.store().clone(),
                prefix,
            )))
        }
        Some(folder) => Ok(Arc::new(file::FileStore::open(
            &Path::new(folder).join(&namespace),
        )?)),
        None if on_s3(lake.location()) => {
            let prefix = lake.path(&checkpoints_of(&source.app, &source.stream))?;
            Ok(Arc::new(object::ObjectStoreCheckpoints::new(
                lake.store().clone(),
                prefix,
            )))
        }
        None => Ok(Arc::new(file::FileStore::open(
            &Path::new(lake.location()).join(checkpoints_of(&source.app, &source.stream)),
        )?)),
    }
}

/// A checkpoint and the version it was read at.
#[derive(Debug, Clone)]
pub struct Stored {
    pub checkpoint: Checkpoint,
    pub version: Version,
}

/// Where checkpoints live. Keys are shard ids within one (app, stream) namespace.
#[async_trait::async_trait]
pub trait CheckpointStore: Send + Sync + fmt::Debug {
    /// The shard's checkpoint, if it has one.
    async fn load(&self, shard_id: &str) -> Result<Option<Stored>, CheckpointError>;

    /// Saves `checkpoint` if the stored one is still at `expected` (`None`: there must be none).
    /// Returns the new version.
    async fn save(
        &self,
        shard_id: &str,
        checkpoint: &Checkpoint,
        expected: Option<&Version>,
    ) -> Result<Version, CheckpointError>;

    /// Announces that `worker` is alive until `until_ms` (it renews well before).
    async fn heartbeat(&self, worker: &str, until_ms: i64) -> Result<(), CheckpointError>;

    /// Every worker that announced itself, with the time its announcement lapses. Names are
    /// as [`worker_key`] gives them.
    async fn workers(&self) -> Result<Vec<(String, i64)>, CheckpointError>;

    /// Whether this process is the store's only user (a locked folder): then no lease in it
    /// can belong to a live process other than this one.
    fn exclusive(&self) -> bool {
        false
    }

    /// Removes `worker`'s announcement: it stopped, or lapsed long ago.
    async fn forget_worker(&self, _worker: &str) -> Result<(), CheckpointError> {
        Ok(())
    }
}

/// A worker's name as [`CheckpointStore::workers`] lists it: its heartbeat's object name,
/// in which characters other than letters, digits, `-` and `_` became `_`.
pub(crate) fn worker_key(worker: &str) -> String {
    let name = object_name(worker);
    name.trim_end_matches(".json").to_string()
}

/// A worker's heartbeat object.
#[derive(Debug, Serialize, Deserialize)]
struct Heartbeat {
    until_ms: i64,
}

fn heartbeat_bytes(until_ms: i64) -> Vec<u8> {
    serde_json::to_vec(&Heartbeat { until_ms }).unwrap_or_default()
}

fn heartbeat_until(bytes: &[u8]) -> Option<i64> {
    serde_json::from_slice::<Heartbeat>(bytes)
        .ok()
        .map(|h| h.until_ms)
}

/// A shard id as one safe file or object name.
fn object_name(shard_id: &str) -> String {
    let safe: String = shard_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.json")
}

fn parse(name: &str, bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    serde_json::from_slice(bytes).map_err(|source| CheckpointError::Corrupt {
        name: name.to_string(),
        source,
    })
}

fn render(checkpoint: &Checkpoint) -> Vec<u8> {
    // Serialising plain strings, numbers and options cannot fail.
    serde_json::to_vec_pretty(checkpoint).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use alarmlake_transform::Lake;
    use alarmlake_transform::commit::{CHECKPOINTS, checkpoints_of, pending_intent_files};

    use super::file::FileStore;
    use super::*;

    /// Maintenance reads the intents out of the checkpoints this crate writes: the two sides
    /// of the format stay in step.
    #[tokio::test]
    async fn an_intent_saved_by_a_consumer_is_pending_for_maintenance() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let store = FileStore::open(&dir.path().join(checkpoints_of("app", "stream"))).unwrap();
        let checkpoint = Checkpoint {
            sequence_number: Some("41".into()),
            intent: Some(Intent {
                sequence_number: "42".into(),
                files: vec!["alarm_events/date=2026-12-01/hour=07/a.parquet".into()],
                version: Some(3),
                records: 1,
                held: None,
            }),
            lease: Some(Lease {
                owner: "w".into(),
                until_ms: 1,
            }),
            ..Checkpoint::default()
        };
        store.save("shardId-0", &checkpoint, None).await.unwrap();
        store.heartbeat("w", 1).await.unwrap();
        let pending = pending_intent_files(&lake, CHECKPOINTS).await.unwrap();
        assert_eq!(
            pending.into_iter().collect::<Vec<_>>(),
            ["alarm_events/date=2026-12-01/hour=07/a.parquet"]
        );
    }
}
