//! An object store that lists, inside each Delta table's folder, exactly the files of the
//! snapshot the session reads, and nothing else; reads, and anything outside the tables, go to
//! the real store.
//!
//! *Why a store and not a new table provider:* the lake's tables are DataFusion listing tables
//! with everything tuned around them (Hive partition pruning, the files' declared sort order,
//! the footer and listing caches, [`crate::hour_folders`]). Listing the snapshot instead of the
//! folder keeps all of it, and makes a query see what a Delta reader must see: committed files
//! only, never the files of a flush that has not committed or that compaction has replaced. It
//! also saves the object store's LIST requests: the snapshot is already in memory.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// The real store, with the committed files of each table folder it stands in for.
#[derive(Debug)]
pub struct CommittedFiles {
    inner: Arc<dyn ObjectStore>,
    /// Table folder (object path, no trailing slash) → its committed files, by location.
    tables: BTreeMap<String, BTreeMap<Path, ObjectMeta>>,
}

impl CommittedFiles {
    pub fn new(inner: Arc<dyn ObjectStore>) -> CommittedFiles {
        CommittedFiles {
            inner,
            tables: BTreeMap::new(),
        }
    }

    /// Lists `files` (whose locations are under `folder`) as the whole content of `folder`.
    pub fn add_table(&mut self, folder: &Path, files: impl IntoIterator<Item = ObjectMeta>) {
        let files = files
            .into_iter()
            .map(|meta| (meta.location.clone(), meta))
            .collect();
        self.tables.insert(folder.as_ref().to_string(), files);
    }

    /// The table folder that holds `prefix` (or is it), when that folder is a Delta table.
    fn table_of(&self, prefix: &str) -> Option<&BTreeMap<Path, ObjectMeta>> {
        self.tables
            .iter()
            .find(|(folder, _)| within(prefix, folder))
            .map(|(_, files)| files)
    }

    /// Whether a listed object of the real store lies in a table folder (and so is listed from
    /// the snapshot instead).
    fn in_a_table(&self, location: &Path) -> bool {
        self.tables
            .keys()
            .any(|folder| within(location.as_ref(), folder))
    }
}

/// Whether `path` is `folder` or inside it, segment-wise.
fn within(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl fmt::Display for CommittedFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommittedFiles({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for CommittedFiles {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[std::ops::Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let wanted = prefix.map(|p| p.as_ref().to_string()).unwrap_or_default();
        if let Some(files) = self.table_of(&wanted) {
            let listed: Vec<Result<ObjectMeta>> = files
                .values()
                .filter(|meta| within(meta.location.as_ref(), &wanted))
                .cloned()
                .map(Ok)
                .collect();
            return stream::iter(listed).boxed();
        }
        // Above or beside the tables: the real listing, with each table's folder replaced by
        // its committed files.
        let tables: Vec<ObjectMeta> = self
            .tables
            .values()
            .flat_map(|files| files.values())
            .filter(|meta| within(meta.location.as_ref(), &wanted))
            .cloned()
            .collect();
        let folders: Vec<String> = self.tables.keys().cloned().collect();
        let outside = self.inner.list(prefix).filter(move |meta| {
            let keep = match meta {
                Ok(meta) => !folders
                    .iter()
                    .any(|folder| within(meta.location.as_ref(), folder)),
                Err(_) => true,
            };
            futures::future::ready(keep)
        });
        stream::iter(tables.into_iter().map(Ok))
            .chain(outside)
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let wanted = prefix.map(|p| p.as_ref().to_string()).unwrap_or_default();
        let Some(files) = self.table_of(&wanted) else {
            let mut listed = self.inner.list_with_delimiter(prefix).await?;
            listed
                .objects
                .retain(|meta| !self.in_a_table(&meta.location));
            return Ok(listed);
        };
        let mut folders: std::collections::BTreeSet<String> = Default::default();
        let mut objects = Vec::new();
        for meta in files.values() {
            let location = meta.location.as_ref();
            let rest = if wanted.is_empty() {
                location
            } else {
                match location.strip_prefix(&wanted) {
                    Some(rest) if rest.starts_with('/') => &rest[1..],
                    _ => continue,
                }
            };
            match rest.split_once('/') {
                None => objects.push(meta.clone()),
                Some((folder, _)) if wanted.is_empty() => {
                    folders.insert(folder.to_string());
                }
                Some((folder, _)) => {
                    folders.insert(format!("{wanted}/{folder}"));
                }
            }
        }
        // Already object paths: parse keeps their escapes as they are.
        let common_prefixes = folders
            .iter()
            .map(Path::parse)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|source| object_store::Error::Generic {
                store: "CommittedFiles",
                source: Box::new(source),
            })?;
        Ok(ListResult {
            common_prefixes,
            objects,
        })
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    fn meta(path: &str) -> ObjectMeta {
        ObjectMeta {
            location: Path::parse(path).unwrap(),
            last_modified: Utc::now(),
            size: 1,
            e_tag: None,
            version: None,
        }
    }

    #[tokio::test]
    async fn a_table_folder_lists_its_snapshot_and_the_rest_lists_the_store() {
        let inner = Arc::new(InMemory::new());
        for path in [
            "lake/t/date=2026-01-01/hour=00/committed.parquet",
            "lake/t/date=2026-01-01/hour=00/uncommitted.parquet",
            "lake/t/_delta_log/00000000000000000000.json",
            "lake/other/x.parquet",
        ] {
            inner
                .put(&Path::parse(path).unwrap(), b"x".to_vec().into())
                .await
                .unwrap();
        }
        let mut store = CommittedFiles::new(inner);
        store.add_table(
            &Path::parse("lake/t").unwrap(),
            [
                meta("lake/t/date=2026-01-01/hour=00/committed.parquet"),
                meta("lake/t/date=2026-01-02/hour=05/b.parquet"),
            ],
        );
        let names = |listed: Vec<ObjectMeta>| -> Vec<String> {
            let mut names: Vec<String> =
                listed.into_iter().map(|m| m.location.to_string()).collect();
            names.sort();
            names
        };
        let table: Vec<ObjectMeta> = store
            .list(Some(&Path::parse("lake/t").unwrap()))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            names(table),
            [
                "lake/t/date=2026-01-01/hour=00/committed.parquet",
                "lake/t/date=2026-01-02/hour=05/b.parquet"
            ]
        );
        let everything: Vec<ObjectMeta> = store.list(None).try_collect().await.unwrap();
        assert_eq!(
            names(everything),
            [
                "lake/other/x.parquet",
                "lake/t/date=2026-01-01/hour=00/committed.parquet",
                "lake/t/date=2026-01-02/hour=05/b.parquet"
            ]
        );
        let days = store
            .list_with_delimiter(Some(&Path::parse("lake/t").unwrap()))
            .await
            .unwrap();
        let days: Vec<String> = days.common_prefixes.iter().map(|p| p.to_string()).collect();
        assert_eq!(days, ["lake/t/date=2026-01-01", "lake/t/date=2026-01-02"]);
        let hour = store
            .list_with_delimiter(Some(
                &Path::parse("lake/t/date=2026-01-01/hour=00").unwrap(),
            ))
            .await
            .unwrap();
        assert_eq!(
            names(hour.objects),
            ["lake/t/date=2026-01-01/hour=00/committed.parquet"]
        );
        // Beside the table, the real store; the folder's own files are never listed from it.
        let lake = store
            .list_with_delimiter(Some(&Path::parse("lake").unwrap()))
            .await
            .unwrap();
        let folders: Vec<String> = lake.common_prefixes.iter().map(|p| p.to_string()).collect();
        assert_eq!(folders, ["lake/other", "lake/t"]);
    }
}
