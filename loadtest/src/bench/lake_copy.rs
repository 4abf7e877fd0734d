//! A local copy of the benchmark's lake, with the time each file became visible: the checks,
//! DuckDB and the queries read the copy, and the times give put-to-queryable latency.

use std::path::Path;

use alarmlake_transform::Lake;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use object_store::ObjectStoreExt;

/// One file of the lake.
#[derive(Debug, Clone)]
pub struct CopiedFile {
    /// Path relative to the lake root (and to the copy).
    pub relative: String,
    /// When the store says it was written (S3: to the second).
    pub written: DateTime<Utc>,
}

/// Copies every table file of `lake` (not `_alarmlake/`) into `dest`.
pub async fn copy_lake(lake: &Lake, dest: &Path) -> Result<Vec<CopiedFile>> {
    let root = lake.path("")?;
    let mut listing = lake.store().list(Some(&root));
    let mut files = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta?;
        let full = meta.location.as_ref();
        let relative = full
            .strip_prefix(root.as_ref())
            .unwrap_or(full)
            .trim_start_matches('/')
            .to_string();
        if relative.starts_with("_alarmlake/") || !relative.ends_with(".parquet") {
            continue;
        }
        let bytes = lake.store().get(&meta.location).await?.bytes().await?;
        let target = dest.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        files.push(CopiedFile {
            relative,
            written: meta.last_modified,
        });
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}
