//! A table's commits as a result set (`\history TABLE` in the shell): version, time, operation,
//! rows and files added, files removed, read from each commit's `commitInfo` alone.
//!
//! *Why `operationMetrics`:* alarmlake's writers put Spark's metrics in every commit
//! (`numOutputRows`, `numAddedFiles`, `numRemovedFiles`), so the history needs no file read and
//! agrees with what Spark's `DESCRIBE HISTORY` shows. Commits without them (another writer's,
//! or an alarmlake from before) show nulls there.

use std::sync::Arc;

use alarmlake_schemas::Table;
use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use deltalake_core::kernel::CommitInfo;
use futures::TryStreamExt;
use object_store::ObjectStore;
use url::Url;

use crate::session::QueryError;
use crate::snapshots::{delta_table, has_log};

/// The latest `limit` commits of the Delta table at `url`, newest first; `None` when the folder
/// holds no Delta table.
pub async fn history(
    root: &Arc<dyn ObjectStore>,
    url: &Url,
    table: Table,
    limit: usize,
) -> Result<Option<RecordBatch>, QueryError> {
    let failed = |e: deltalake_core::DeltaTableError| QueryError::Table {
        table: table.name(),
        detail: e.to_string(),
    };
    if !has_log(root, url).await? {
        return Ok(None);
    }
    let mut delta = delta_table(root, url)?;
    match delta.load().await {
        Ok(()) => {}
        Err(deltalake_core::DeltaTableError::NotATable(_)) => return Ok(None),
        Err(e) => return Err(failed(e)),
    }
    let latest = delta.version().unwrap_or(0) as i64;
    let commits: Vec<CommitInfo> = delta
        .history(Some(limit))
        .try_collect()
        .await
        .map_err(failed)?;
    Ok(Some(as_batch(latest, &commits)?))
}

fn as_batch(latest: i64, commits: &[CommitInfo]) -> Result<RecordBatch, QueryError> {
    let metric = |commit: &CommitInfo, name: &str| {
        let value = &commit.info.get("operationMetrics")?[name];
        value
            .as_i64()
            .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
    };
    // Newest first, and the log keeps every version from the oldest retained one on.
    let versions = (0..commits.len() as i64).map(|back| latest - back);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(versions)),
        Arc::new(
            TimestampMillisecondArray::from_iter(commits.iter().map(|c| c.timestamp))
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from_iter(
            commits.iter().map(|c| c.operation.as_deref()),
        )),
        Arc::new(Int64Array::from_iter(
            commits.iter().map(|c| metric(c, "numOutputRows")),
        )),
        Arc::new(Int64Array::from_iter(
            commits.iter().map(|c| metric(c, "numAddedFiles")),
        )),
        Arc::new(Int64Array::from_iter(
            commits.iter().map(|c| metric(c, "numRemovedFiles")),
        )),
    ];
    let schema = Schema::new(vec![
        Field::new("version", DataType::Int64, false),
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("operation", DataType::Utf8, true),
        Field::new("rows_added", DataType::Int64, true),
        Field::new("files_added", DataType::Int64, true),
        Field::new("files_removed", DataType::Int64, true),
    ]);
    RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| QueryError::DataFusion(e.into()))
}
