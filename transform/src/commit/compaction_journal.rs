//! Compaction's intent, the same protocol the consumer follows (docs/ARCHITECTURE.md,
//! "Exactly-once: intent, files, commit"):
//!
//! 1. record the intent: for each output file, the input files it replaces;
//! 2. write every output file (one atomic put each);
//! 3. delete the inputs;
//! 4. clear the intent.
//!
//! Recovery looks at each leftover intent. If every output exists, the merge finished and only
//! the deletes were cut short, so it finishes them (roll forward). Otherwise no input has been
//! deleted yet, so it deletes the outputs that were written (roll back). Either way the
//! partition ends with each row once, and the next run can compact it again.

use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::PutPayload;
use serde::{Deserialize, Serialize};

use super::layout::COMPACTION_INTENTS as INTENTS;
use crate::compaction::CompactionError;
use crate::lake::Lake;

/// What a partition's compaction is about to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionIntent {
    /// The partition folder, relative to the lake root.
    pub folder: String,
    pub groups: Vec<IntentGroup>,
}

/// One output file and the files it replaces (paths relative to the lake root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentGroup {
    pub inputs: Vec<String>,
    pub output: String,
}

/// What recovery did with the leftover intents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Intents whose outputs were all written: their remaining inputs were deleted.
    pub rolled_forward: usize,
    /// Intents cut short while writing: their outputs were deleted.
    pub rolled_back: usize,
}

fn intent_path(folder: &str) -> String {
    format!("{INTENTS}/{folder}.json")
}

pub(crate) async fn record(lake: &Lake, intent: &CompactionIntent) -> Result<(), CompactionError> {
    let bytes = serde_json::to_vec_pretty(intent).map_err(CompactionError::IntentJson)?;
    lake.store()
        .put(
            &lake.path(&intent_path(&intent.folder))?,
            PutPayload::from(bytes),
        )
        .await?;
    Ok(())
}

pub(crate) async fn clear(lake: &Lake, folder: &str) -> Result<(), CompactionError> {
    lake.delete(&[intent_path(folder)]).await?;
    Ok(())
}

/// Every intent left in the lake.
pub async fn pending(lake: &Lake) -> Result<Vec<CompactionIntent>, CompactionError> {
    let mut intents = Vec::new();
    for path in lake.list(INTENTS).await? {
        if !path.ends_with(".json") {
            continue;
        }
        let bytes = match lake.store().get(&lake.path(&path)?).await {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let intent = serde_json::from_slice(&bytes).map_err(CompactionError::IntentJson)?;
        intents.push(intent);
    }
    Ok(intents)
}

/// Finishes or undoes every leftover intent. Only safe while holding the compaction lock.
pub async fn recover(lake: &Lake) -> Result<Recovered, CompactionError> {
    let mut recovered = Recovered::default();
    for intent in pending(lake).await? {
        let outputs: Vec<String> = intent.groups.iter().map(|g| g.output.clone()).collect();
        if all_exist(lake, &outputs).await? {
            let inputs: Vec<String> = intent
                .groups
                .iter()
                .flat_map(|g| g.inputs.iter().cloned())
                .collect();
            lake.delete(&inputs).await?;
            recovered.rolled_forward += 1;
        } else {
            lake.delete(&outputs).await?;
            recovered.rolled_back += 1;
        }
        clear(lake, &intent.folder).await?;
    }
    Ok(recovered)
}

async fn all_exist(lake: &Lake, paths: &[String]) -> Result<bool, CompactionError> {
    let heads = futures::stream::iter(paths)
        .map(|path| async move {
            match lake.store().head(&lake.path(path)?).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(CompactionError::from(e)),
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await;
    for head in heads {
        if !head? {
            return Ok(false);
        }
    }
    Ok(true)
}
