//! The files named in consumers' pending intents, for lake maintenance.
//!
//! A consumer with an intent may still delete those files (recovering after a crash) and write
//! them again. Compaction must not merge them in the meantime, or the rows would be in the
//! lake twice once the consumer replays. Checkpoints of every app and stream are found by
//! listing their location, so one scan covers all consumers writing to the lake.

use std::collections::HashSet;

use alarmlake_transform::Lake;
use object_store::ObjectStoreExt;

use super::{CheckpointError, parse};

/// The default checkpoint folder inside a lake (see `alarmlake consume --checkpoints`).
pub const LAKE_CHECKPOINTS: &str = "_alarmlake/checkpoints";

/// Every file path (relative to the lake root) named in an intent under `relative` in `store`.
/// A checkpoint that cannot be parsed is an error: maintenance must not guess.
pub async fn pending_intent_files(
    store: &Lake,
    relative: &str,
) -> Result<HashSet<String>, CheckpointError> {
    let listed = store.list(relative).await?;
    let mut files = HashSet::new();
    for path in listed {
        if !path.ends_with(".json") || path.contains("/workers/") {
            continue;
        }
        let location = store.path(&path)?;
        let bytes = match store.store().get(&location).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        if let Some(intent) = parse(&path, &bytes)?.intent {
            files.extend(intent.files);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::file::FileStore;
    use crate::checkpoint::{Checkpoint, CheckpointStore, Intent};

    #[tokio::test]
    async fn intents_of_every_app_and_stream_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let root = dir.path().join(LAKE_CHECKPOINTS);
        let with_intent = |files: &[&str]| Checkpoint {
            intent: Some(Intent {
                sequence_number: "9".into(),
                files: files.iter().map(|f| f.to_string()).collect(),
            }),
            ..Checkpoint::default()
        };
        let a = FileStore::open(&root.join("app1/stream-a")).unwrap();
        a.save("shardId-0", &with_intent(&["alarm_events/x.parquet"]), None)
            .await
            .unwrap();
        a.save("shardId-1", &Checkpoint::default(), None)
            .await
            .unwrap();
        a.heartbeat("worker-1", 1).await.unwrap();
        let b = FileStore::open(&root.join("app2/stream-b")).unwrap();
        b.save("shardId-0", &with_intent(&["dead_letters/y.parquet"]), None)
            .await
            .unwrap();
        let files = pending_intent_files(&lake, LAKE_CHECKPOINTS).await.unwrap();
        let mut files: Vec<String> = files.into_iter().collect();
        files.sort();
        assert_eq!(files, ["alarm_events/x.parquet", "dead_letters/y.parquet"]);
        std::fs::write(root.join("app1/stream-a/broken.json"), b"{").unwrap();
        assert!(pending_intent_files(&lake, LAKE_CHECKPOINTS).await.is_err());
    }
}
