//! Checkpoints in a local folder, the default when the lake is local. Each save writes a
//! temporary file, syncs it and renames it over the old one, so a crash leaves either the old
//! or the new checkpoint, never half of one. An exclusive lock on the folder keeps a second
//! consumer (a mistaken second start) from interleaving its commits with ours.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{
    Checkpoint, CheckpointError, CheckpointStore, Stored, Version, heartbeat_bytes,
    heartbeat_until, object_name, parse, render,
};

#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    /// Held for the life of the store; the OS releases it if the process dies.
    _lock: File,
}

impl FileStore {
    /// Opens (creating) `dir` and locks it for this process.
    pub fn open(dir: &Path) -> Result<FileStore, CheckpointError> {
        fs::create_dir_all(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(CheckpointError::Locked {
                    path: dir.display().to_string(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        Ok(FileStore {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    fn read(&self, shard_id: &str) -> Result<Option<(Vec<u8>, String)>, CheckpointError> {
        let name = object_name(shard_id);
        match fs::read(self.dir.join(&name)) {
            Ok(bytes) => Ok(Some((bytes, name))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A version for file contents: their hash (the folder lock already excludes other writers; this
/// catches a checkpoint replaced behind our back).
fn version_of(bytes: &[u8]) -> Version {
    // FNV-1a, 64 bits.
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    Version(format!("{hash:016x}"))
}

#[async_trait::async_trait]
impl CheckpointStore for FileStore {
    async fn load(&self, shard_id: &str) -> Result<Option<Stored>, CheckpointError> {
        let Some((bytes, name)) = self.read(shard_id)? else {
            return Ok(None);
        };
        Ok(Some(Stored {
            checkpoint: parse(&name, &bytes)?,
            version: version_of(&bytes),
        }))
    }

    async fn save(
        &self,
        shard_id: &str,
        checkpoint: &Checkpoint,
        expected: Option<&Version>,
    ) -> Result<Version, CheckpointError> {
        let current = self.read(shard_id)?.map(|(bytes, _)| version_of(&bytes));
        if current.as_ref() != expected {
            return Err(CheckpointError::Conflict(shard_id.to_string()));
        }
        let name = object_name(shard_id);
        let bytes = render(checkpoint);
        let temporary = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        {
            let mut file = File::create(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        fs::rename(&temporary, self.dir.join(&name))?;
        // The rename is durable once the folder is synced.
        File::open(&self.dir)?.sync_all()?;
        Ok(version_of(&bytes))
    }

    async fn heartbeat(&self, worker: &str, until_ms: i64) -> Result<(), CheckpointError> {
        let dir = self.dir.join("workers");
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(object_name(worker)), heartbeat_bytes(until_ms))?;
        Ok(())
    }

    fn exclusive(&self) -> bool {
        true
    }

    async fn forget_worker(&self, worker: &str) -> Result<(), CheckpointError> {
        match fs::remove_file(self.dir.join("workers").join(object_name(worker))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn workers(&self) -> Result<Vec<(String, i64)>, CheckpointError> {
        let dir = self.dir.join("workers");
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut workers = Vec::new();
        for entry in entries.flatten() {
            let name = entry
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_string();
            if let Some(until) = fs::read(entry.path())
                .ok()
                .and_then(|b| heartbeat_until(&b))
            {
                workers.push((name, until));
            }
        }
        Ok(workers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Intent;

    #[tokio::test]
    async fn saves_load_back_and_stale_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        assert!(store.load("shardId-000000000001").await.unwrap().is_none());
        let mut checkpoint = Checkpoint {
            intent: Some(Intent {
                sequence_number: "4960".into(),
                files: vec!["alarm_events/date=2024-01-01/hour=00/a.parquet".into()],
                version: Some(1),
                records: 4,
                held: None,
            }),
            ..Checkpoint::default()
        };
        let v1 = store
            .save("shardId-000000000001", &checkpoint, None)
            .await
            .unwrap();
        let loaded = store.load("shardId-000000000001").await.unwrap().unwrap();
        assert_eq!(loaded.checkpoint, checkpoint);
        assert_eq!(loaded.version, v1);

        checkpoint.intent = None;
        checkpoint.sequence_number = Some("4960".into());
        let v2 = store
            .save("shardId-000000000001", &checkpoint, Some(&v1))
            .await
            .unwrap();
        assert_ne!(v1, v2);
        // A save based on the old version loses: someone else moved the checkpoint.
        assert!(matches!(
            store
                .save("shardId-000000000001", &checkpoint, Some(&v1))
                .await,
            Err(CheckpointError::Conflict(_))
        ));
        assert!(matches!(
            store.save("shardId-000000000001", &checkpoint, None).await,
            Err(CheckpointError::Conflict(_))
        ));
    }

    #[test]
    fn a_second_consumer_cannot_open_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let _first = FileStore::open(dir.path()).unwrap();
        assert!(matches!(
            FileStore::open(dir.path()),
            Err(CheckpointError::Locked { .. })
        ));
    }
}
