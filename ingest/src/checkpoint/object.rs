//! Checkpoints in an object store (the default when the lake is on S3), at
//! `<prefix>/<shard>.json`. Saves are conditional: the first with `PutMode::Create`, later ones
//! with `PutMode::Update` on the ETag that was read, so of two workers racing for a shard
//! exactly one wins, and the loser learns it lost before it commits anything (fencing).

use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use futures::StreamExt;

use super::{
    Checkpoint, CheckpointError, CheckpointStore, Stored, Version, heartbeat_bytes,
    heartbeat_until, object_name, parse, render,
};

#[derive(Debug)]
pub struct ObjectStoreCheckpoints {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ObjectStoreCheckpoints {
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path) -> Self {
        ObjectStoreCheckpoints { store, prefix }
    }

    fn path(&self, shard_id: &str) -> Path {
        self.prefix.clone().join(object_name(shard_id))
    }
}

#[async_trait::async_trait]
impl CheckpointStore for ObjectStoreCheckpoints {
    async fn load(&self, shard_id: &str) -> Result<Option<Stored>, CheckpointError> {
        let path = self.path(shard_id);
        let result = match self.store.get(&path).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let e_tag = result.meta.e_tag.clone().unwrap_or_default();
        let bytes = result.bytes().await?;
        Ok(Some(Stored {
            checkpoint: parse(path.as_ref(), &bytes)?,
            version: Version(e_tag),
        }))
    }

    async fn save(
        &self,
        shard_id: &str,
        checkpoint: &Checkpoint,
        expected: Option<&Version>,
    ) -> Result<Version, CheckpointError> {
        let mode = match expected {
            None => PutMode::Create,
            Some(Version(e_tag)) => PutMode::Update(UpdateVersion {
                e_tag: Some(e_tag.clone()),
                version: None,
            }),
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let payload = PutPayload::from(render(checkpoint));
        match self
            .store
            .put_opts(&self.path(shard_id), payload, options)
            .await
        {
            Ok(result) => Ok(Version(result.e_tag.unwrap_or_default())),
            Err(object_store::Error::Precondition { .. })
            | Err(object_store::Error::AlreadyExists { .. }) => {
                Err(CheckpointError::Conflict(shard_id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn heartbeat(&self, worker: &str, until_ms: i64) -> Result<(), CheckpointError> {
        let path = self
            .prefix
            .clone()
            .join("workers")
            .join(object_name(worker));
        self.store
            .put(&path, PutPayload::from(heartbeat_bytes(until_ms)))
            .await?;
        Ok(())
    }

    async fn forget_worker(&self, worker: &str) -> Result<(), CheckpointError> {
        let path = self
            .prefix
            .clone()
            .join("workers")
            .join(object_name(worker));
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn workers(&self) -> Result<Vec<(String, i64)>, CheckpointError> {
        let prefix = self.prefix.clone().join("workers");
        let mut listing = self.store.list(Some(&prefix));
        let mut workers = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let name = meta
                .location
                .filename()
                .unwrap_or_default()
                .trim_end_matches(".json")
                .to_string();
            match self.store.get(&meta.location).await {
                Ok(result) => {
                    if let Some(until) = heartbeat_until(&result.bytes().await?) {
                        workers.push((name, until));
                    }
                }
                // A worker's heartbeat removed between list and get is simply gone.
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(workers)
    }
}
