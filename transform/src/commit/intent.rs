//! A flush's intent, and the files named in the intents still pending.
//!
//! A writer records its intent inside its checkpoint before it writes any file: the exact file
//! names, the position they end at, and the txn version it will commit them with. Until the
//! intent is settled, its recovery may still commit those files, so vacuum must not delete
//! them however old they are. Checkpoints of every app and stream are found by listing their
//! location, so one scan covers all writers.

use std::collections::HashSet;

use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::lake::{Lake, LakeError};
use crate::late_rows::Held;

/// The files a flush is about to write, the last record they hold, and the txn version it
/// commits them with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub sequence_number: String,
    pub files: Vec<String>,
    /// The shard's txn version of this flush; `None` in an intent written before alarmlake
    /// committed to Delta (its files were never committed anywhere).
    #[serde(default)]
    pub version: Option<i64>,
    /// Records the flush holds, for the checkpoint's count when recovery completes it.
    #[serde(default)]
    pub records: u64,
    /// The late hours still held once this flush is committed, for the checkpoint when
    /// recovery completes it (`late_rows.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<Held>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntentError {
    #[error("{0}")]
    Lake(#[from] LakeError),
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: object_store::Error,
    },
    #[error("checkpoint {path} is not valid JSON: {source}")]
    Corrupt {
        path: String,
        source: serde_json::Error,
    },
}

/// The part of a checkpoint object that maintenance reads; the rest belongs to its writer.
#[derive(Deserialize)]
struct WithIntent {
    #[serde(default)]
    intent: Option<Intent>,
}

/// Every file path (relative to the lake root) named in an intent under `relative` in `store`.
/// A checkpoint that cannot be parsed is an error: maintenance must not guess.
pub async fn pending_intent_files(
    store: &Lake,
    relative: &str,
) -> Result<HashSet<String>, IntentError> {
    Ok(pending_intents(store, relative)
        .await?
        .into_iter()
        .flat_map(|intent| intent.files)
        .collect())
}

/// Every intent pending in a checkpoint under `relative` in `store`.
pub async fn pending_intents(store: &Lake, relative: &str) -> Result<Vec<Intent>, IntentError> {
    let listed = store.list(relative).await?;
    let mut intents = Vec::new();
    for path in listed {
        // Workers' heartbeats sit next to the checkpoints and hold no intent.
        if !path.ends_with(".json") || path.contains("/workers/") {
            continue;
        }
        let location = store.path(&path)?;
        let read = match store.store().get(&location).await {
            Ok(result) => result.bytes().await,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => Err(e),
        };
        let bytes = read.map_err(|source| IntentError::Read {
            path: path.clone(),
            source,
        })?;
        let checkpoint: WithIntent = serde_json::from_slice(&bytes)
            .map_err(|source| IntentError::Corrupt { path, source })?;
        intents.extend(checkpoint.intent);
    }
    Ok(intents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commit::layout::{CHECKPOINTS, checkpoints_of};

    fn write(root: &std::path::Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[tokio::test]
    async fn intents_of_every_app_and_stream_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let a = checkpoints_of("app1", "stream-a");
        let b = checkpoints_of("app2", "stream-b");
        let with_intent = |file: &str| {
            format!(
                r#"{{"sequence_number":"5","finished":false,"intent":{{"sequence_number":"9","files":["{file}"]}},"records":3,"lease":null}}"#
            )
        };
        write(
            dir.path(),
            &format!("{a}/shardId-0.json"),
            &with_intent("alarm_events/x.parquet"),
        );
        write(
            dir.path(),
            &format!("{a}/shardId-1.json"),
            r#"{"sequence_number":"7","intent":null}"#,
        );
        write(
            dir.path(),
            &format!("{a}/workers/worker-1.json"),
            r#"{"intent":{"sequence_number":"1","files":["not/a/checkpoint"]}}"#,
        );
        write(
            dir.path(),
            &format!("{b}/shardId-0.json"),
            &with_intent("dead_letters/y.parquet"),
        );
        let files = pending_intent_files(&lake, CHECKPOINTS).await.unwrap();
        let mut files: Vec<String> = files.into_iter().collect();
        files.sort();
        assert_eq!(files, ["alarm_events/x.parquet", "dead_letters/y.parquet"]);
        write(dir.path(), &format!("{a}/broken.json"), "{");
        let error = pending_intent_files(&lake, CHECKPOINTS).await.unwrap_err();
        assert!(matches!(error, IntentError::Corrupt { .. }), "{error}");
    }
}
