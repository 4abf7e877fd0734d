//! Files that are already in the lake but in no commit: the files of a flush whose commit a
//! crash interrupted after its first table (recovery rolls the others forward), and the files
//! of a lake written before alarmlake wrote Delta (`lake convert`). Their Add actions are built
//! from their footers.

use alarmlake_schemas::Table;
use chrono::Utc;
use deltalake_core::kernel::Add;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use parquet::arrow::parquet_to_arrow_schema;

use super::{DeltaError, add_for, file_stats};
use crate::footer::read_footer;
use crate::lake::{Lake, LakeError};
use crate::partition::PartitionKey;

/// The data files in `table`'s folder, with their sizes, sorted by path: Parquet files inside
/// its `date=…/hour=…/` folders, not hidden. Stops after `limit` files when it is not 0 (to ask
/// whether there are any without listing a long history).
pub async fn data_files(
    lake: &Lake,
    table: Table,
    limit: usize,
) -> Result<Vec<(String, u64)>, DeltaError> {
    let prefix = lake.path(table.name())?;
    let mut listed = lake.store().list(Some(&prefix));
    let mut files = Vec::new();
    let listed_prefix = format!("{prefix}/");
    let table_prefix = format!("{}/", table.name());
    while let Some(meta) = listed.next().await {
        let meta = meta.map_err(LakeError::from)?;
        let Some(relative) = meta.location.as_ref().strip_prefix(&listed_prefix) else {
            continue;
        };
        if is_data_file(relative) {
            files.push((format!("{table_prefix}{relative}"), meta.size));
            if files.len() == limit {
                break;
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A Parquet file inside the Hive folders, not hidden (`.`/`_` names are writers' temporaries
/// and the log).
fn is_data_file(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name.ends_with(".parquet")
        && !name.starts_with('.')
        && !name.starts_with('_')
        && PartitionKey::from_relative(relative).is_some()
}

/// The Add action of the file at `path` (relative to the lake root, `size` bytes) in `table`,
/// with statistics from its footer.
pub async fn add_for_existing(
    lake: &Lake,
    table: Table,
    path: &str,
    size: u64,
) -> Result<Add, DeltaError> {
    let footer_error = |detail: String| DeltaError::Footer {
        table: table.name(),
        path: path.to_string(),
        detail,
    };
    let relative = path
        .strip_prefix(table.name())
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(path);
    let partition = PartitionKey::from_relative(relative)
        .ok_or_else(|| footer_error("it is not inside a date=/hour= folder".into()))?;
    let footer = read_footer(lake, path, size).await?.map_err(footer_error)?;
    let metadata = footer.file_metadata();
    let schema = parquet_to_arrow_schema(metadata.schema_descr(), metadata.key_value_metadata())
        .map_err(|e| footer_error(format!("its schema cannot be read: {e}")))?;
    let stats = file_stats(&schema, &footer);
    add_for(
        table,
        path,
        partition,
        size,
        &stats,
        Utc::now().timestamp_millis(),
    )
}

/// The size of the object at `path`, for files named in an intent.
pub(crate) async fn object_size(lake: &Lake, path: &str) -> Result<u64, DeltaError> {
    let location = lake.path(path)?;
    Ok(lake
        .store()
        .head(&location)
        .await
        .map_err(LakeError::from)?
        .size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_parquet_inside_hour_folders() {
        assert!(is_data_file("date=2026-12-01/hour=07/shard-1.parquet"));
        assert!(!is_data_file("date=2026-12-01/hour=07/.shard-1.parquet"));
        assert!(!is_data_file("date=2026-12-01/hour=07/_tmp.parquet"));
        assert!(!is_data_file("_delta_log/00000000000000000000.json"));
        assert!(!is_data_file(
            "_delta_log/00000000000000000010.checkpoint.parquet"
        ));
        assert!(!is_data_file("loose.parquet"));
        assert!(!is_data_file("date=2026-12-01/hour=07/notes.txt"));
    }
}
