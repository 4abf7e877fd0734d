//! Where the lake lives: a local folder or `s3://bucket/prefix`, always through `object_store`.

use std::sync::Arc;

use alarmlake_aws::{AwsError, S3Settings};
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use url::Url;

use crate::confirmed_puts::ConfirmedPuts;

use crate::writer::PreparedFile;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("cannot use lake folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("lake location {0:?} is not a folder or s3://bucket/prefix")]
    Location(String),
    #[error("invalid lake path: {0}")]
    BadPath(String),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A file that is durable in the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// Path relative to the lake root.
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
}

/// The lake: an object store and the root of the tables inside it.
#[derive(Debug, Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    root: Path,
    location: String,
    /// The lake root as a URL (`file:///abs/lake/`, `s3://bucket/prefix/`), and a store in which
    /// that URL's path is the object path. Delta tables are addressed this way: the log names
    /// its table by URL, and the Delta kernel reads through a store rooted where the URL's
    /// scheme is (the bucket, or `/`).
    url: Url,
    url_store: Arc<dyn ObjectStore>,
}

impl Lake {
    /// Opens `./lake`-style folders (created if missing) and `s3://bucket/prefix` URLs. An S3
    /// location needs `s3` with the process's AWS chain loaded ([`S3Settings::for_locations`]):
    /// the same credentials and region as Kinesis.
    pub fn open(location: &str, s3: Option<&S3Settings>) -> Result<Lake, LakeError> {
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(LakeError::Location(location.to_string()));
            }
            let store = match s3 {
                Some(settings) => settings.store(bucket, location)?,
                None => S3Settings::default().store(bucket, location)?,
            };
            // Conditional writes (Delta commits, checkpoints, leases) settle their lost answers.
            let store: Arc<dyn ObjectStore> = Arc::new(ConfirmedPuts::new(Arc::new(store)));
            let prefix = prefix.trim_matches('/');
            let url = if prefix.is_empty() {
                format!("s3://{bucket}/")
            } else {
                format!("s3://{bucket}/{prefix}/")
            };
            return Ok(Lake {
                store: store.clone(),
                root: Path::from(prefix),
                location: location.to_string(),
                url: Url::parse(&url).map_err(|_| LakeError::Location(location.to_string()))?,
                url_store: store,
            });
        }
        if location.contains("://") {
            return Err(LakeError::Location(location.to_string()));
        }
        std::fs::create_dir_all(location).map_err(|source| LakeError::Folder {
            path: location.to_string(),
            source,
        })?;
        // Deleting a partition's last file (retention, compaction, recovery) also removes its
        // emptied folders, up to the lake root, as on an object store.
        let store = LocalFileSystem::new_with_prefix(location)?.with_automatic_cleanup(true);
        let absolute = std::fs::canonicalize(location).map_err(|source| LakeError::Folder {
            path: location.to_string(),
            source,
        })?;
        let url = Url::from_directory_path(&absolute)
            .map_err(|_| LakeError::Location(location.to_string()))?;
        Ok(Lake {
            store: Arc::new(store),
            root: Path::default(),
            location: location.to_string(),
            url,
            url_store: Arc::new(LocalFileSystem::new().with_automatic_cleanup(true)),
        })
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// The URL of a folder relative to the lake root (`alarm_events/`), with a trailing slash.
    pub fn url_of(&self, relative: &str) -> Result<Url, LakeError> {
        let folder = format!("{}/", relative.trim_matches('/'));
        self.url
            .join(&folder)
            .map_err(|e| LakeError::BadPath(format!("{relative}: {e}")))
    }

    /// The store in which a URL from [`Lake::url_of`] is found by its path (see `url`).
    pub fn url_store(&self) -> &Arc<dyn ObjectStore> {
        &self.url_store
    }

    /// The object path of a path relative to the lake root. The path is taken as it is, already
    /// escaped (`Path::parse`, not `Path::from`, which would escape the `%` of Hive escapes again);
    /// `.`, `..`, empty and control-character segments are refused.
    pub fn path(&self, relative: &str) -> Result<Path, LakeError> {
        let root = self.root.as_ref();
        let full = if root.is_empty() {
            relative.to_string()
        } else if relative.is_empty() {
            root.to_string()
        } else {
            format!("{root}/{relative}")
        };
        Path::parse(&full).map_err(|e| LakeError::BadPath(e.to_string()))
    }

    /// Makes prepared files durable: one atomic `put` each (object stores never show a
    /// partially written object; the local store writes a temporary file and renames it).
    pub async fn write(&self, files: &[PreparedFile]) -> Result<Vec<WrittenFile>, LakeError> {
        let mut written = Vec::with_capacity(files.len());
        for file in files {
            self.store
                .put(
                    &self.path(&file.path)?,
                    PutPayload::from(file.bytes.clone()),
                )
                .await?;
            written.push(WrittenFile {
                path: file.path.clone(),
                bytes: file.bytes.len() as u64,
                rows: file.rows,
            });
        }
        Ok(written)
    }

    /// Deletes files by their paths relative to the root; files already gone are fine, so a
    /// recovery can run twice.
    pub async fn delete(&self, paths: &[String]) -> Result<(), LakeError> {
        for path in paths {
            match self.store.delete(&self.path(path)?).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Every file under a relative prefix (for tests and tools).
    pub async fn list(&self, relative: &str) -> Result<Vec<String>, LakeError> {
        Ok(self
            .list_sized(relative)
            .await?
            .into_iter()
            .map(|(path, _)| path)
            .collect())
    }

    /// Every file under a relative prefix with its size in bytes, sorted by path.
    pub async fn list_sized(&self, relative: &str) -> Result<Vec<(String, u64)>, LakeError> {
        let prefix = self.path(relative)?;
        let mut stream = self.store.list(Some(&prefix));
        let mut files = Vec::new();
        while let Some(meta) = stream.next().await {
            let meta = meta?;
            files.push((self.relative(&meta.location), meta.size));
        }
        files.sort();
        Ok(files)
    }

    /// The names of the folders directly under a relative prefix (one listing with a
    /// delimiter, so a long history is not listed file by file).
    pub async fn subfolders(&self, relative: &str) -> Result<Vec<String>, LakeError> {
        let prefix = self.path(relative)?;
        let listing = self.store.list_with_delimiter(Some(&prefix)).await?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|folder| folder.filename().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Lists the lake's root once, to find a lake that cannot work before anything is read:
    /// a bucket that does not exist, or credentials the store refuses.
    pub async fn check_reachable(&self) -> Result<(), LakeError> {
        let root = (!self.root.as_ref().is_empty()).then_some(&self.root);
        self.store.list_with_delimiter(root).await?;
        Ok(())
    }

    /// Why an error of [`Lake::check_reachable`] means this lake can never work as configured
    /// (no such bucket, access refused); `None` for trouble that retrying may cure (a timeout,
    /// a 503).
    ///
    /// object_store reports a failed listing as a generic error, whatever its status, so the S3
    /// error code in the answer decides: those codes are part of the S3 protocol, answered alike
    /// by AWS, LocalStack and moto.
    pub fn permanent_reason(error: &LakeError) -> Option<&'static str> {
        match error {
            LakeError::Store(object_store::Error::NotFound { .. }) => Some(NO_BUCKET),
            LakeError::Store(e) => refusal(e),
            LakeError::Folder { .. } | LakeError::Location(_) | LakeError::BadPath(_) => {
                Some("the location cannot be used")
            }
            LakeError::Aws(_) => Some("the AWS set-up cannot work"),
        }
    }

    /// An object path relative to the lake root.
    fn relative(&self, location: &Path) -> String {
        let location = location.as_ref();
        location
            .strip_prefix(self.root.as_ref())
            .unwrap_or(location)
            .trim_start_matches('/')
            .to_string()
    }
}

const NO_BUCKET: &str = "the bucket does not exist";
const REFUSED: &str = "access refused; check the credentials and the bucket's policy";
const KMS: &str =
    "the bucket's KMS key refused (disabled, deleted, or not granted to these credentials)";

/// The S3 error codes that retrying cannot cure, with what they mean to an operator. They are
/// part of the S3 protocol, answered alike by AWS, LocalStack and moto.
const S3_CODES: [(&str, &str); 10] = [
    ("<Code>NoSuchBucket</Code>", NO_BUCKET),
    (
        "<Code>InvalidBucketName</Code>",
        "the bucket name is not valid",
    ),
    ("<Code>AccessDenied</Code>", REFUSED),
    ("<Code>AllAccessDisabled</Code>", REFUSED),
    ("<Code>InvalidAccessKeyId</Code>", REFUSED),
    ("<Code>SignatureDoesNotMatch</Code>", REFUSED),
    ("<Code>KMS.DisabledException</Code>", KMS),
    ("<Code>KMS.KMSInvalidStateException</Code>", KMS),
    ("<Code>KMS.NotFoundException</Code>", KMS),
    ("<Code>KMS.AccessDeniedException</Code>", KMS),
];

/// Why a store error can never succeed by retrying (access refused, a KMS key disabled, the
/// bucket gone); `None` for trouble that retrying may cure (a timeout, a 503, a conflict).
///
/// object_store reports many failed requests as a generic error whatever the status, so the S3
/// error code in the answer decides where the variant does not.
pub fn refusal(error: &object_store::Error) -> Option<&'static str> {
    match error {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => Some(REFUSED),
        e => refusal_in_text(&e.to_string()),
    }
}

/// [`refusal`] for an error that wraps a store error somewhere in its chain (a Delta commit, a
/// checkpoint write): the chain's text is searched for the S3 codes.
pub fn refusal_in_chain(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(store) = e.downcast_ref::<object_store::Error>()
            && let Some(reason) = refusal(store)
        {
            return Some(reason);
        }
        if let Some(reason) = refusal_in_text(&e.to_string()) {
            return Some(reason);
        }
        cause = e.source();
    }
    None
}

fn refusal_in_text(text: &str) -> Option<&'static str> {
    S3_CODES
        .iter()
        .find(|(code, _)| text.contains(code))
        .map(|(_, reason)| *reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> LakeError {
        LakeError::Store(object_store::Error::Generic {
            store: "S3",
            source: text.into(),
        })
    }

    #[test]
    fn a_missing_bucket_or_refused_access_is_permanent_a_busy_store_is_not() {
        let answer = |code: &str| {
            format!("Error performing list request: 404: <Error><Code>{code}</Code></Error>")
        };
        assert_eq!(
            Lake::permanent_reason(&generic(&answer("NoSuchBucket"))),
            Some("the bucket does not exist")
        );
        for code in [
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ] {
            let reason = Lake::permanent_reason(&generic(&answer(code)));
            assert!(
                reason.is_some_and(|r| r.starts_with("access refused")),
                "{code}"
            );
        }
        for passing in [
            answer("SlowDown"),
            answer("InternalError"),
            "Error performing list request: connection refused".to_string(),
            // A key that merely mentions a code is not the code.
            "Error performing list request: timeout for NoSuchBucket-logs".to_string(),
        ] {
            assert_eq!(
                Lake::permanent_reason(&generic(&passing)),
                None,
                "{passing}"
            );
        }
        let missing = LakeError::Store(object_store::Error::NotFound {
            path: "lake".into(),
            source: "404".into(),
        });
        assert_eq!(
            Lake::permanent_reason(&missing),
            Some("the bucket does not exist")
        );
    }
}
