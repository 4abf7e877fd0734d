//! An object store whose conditional writes settle their own lost answers.
//!
//! *Why:* a conditional PUT (a Delta commit's `_delta_log/N.json` with If-None-Match, a
//! checkpoint or lease with If-Match) can reach S3 and be stored while its answer is lost: the
//! connection drops, or the client's timeout passes first. object_store does not retry such a
//! request (it is not idempotent), so the caller sees an error for a write that took effect,
//! and its own retry then meets that write as a conflict. A compaction reported "nothing
//! committed" for a commit that was in the log; a reader took its own checkpoint for another
//! worker's. Here such a write is sent again, and a conflict (on the resend, or on the first
//! call, since object_store resends a request whose connection failed before any answer) is
//! settled by reading the object: if it holds exactly the bytes written, the write was ours and
//! succeeded.
//!
//! *Why the bytes decide:* every conditional write alarmlake makes is unique to its writer and
//! moment (a commit carries its commitInfo timestamp and txn; a checkpoint its owner and lease
//! term), so equal bytes can only be this write. A write that arrives late, after its caller
//! retried, carries an outdated condition and is refused by the store.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    RenameOptions, Result,
};
use tracing::warn;

/// Sends of one conditional write after its first, while their outcome stays unknown.
const RESENDS: u32 = 4;

/// Wraps a store so that its conditional puts settle lost answers (see the module doc).
#[derive(Debug)]
pub struct ConfirmedPuts {
    inner: Arc<dyn ObjectStore>,
}

impl ConfirmedPuts {
    pub fn new(inner: Arc<dyn ObjectStore>) -> ConfirmedPuts {
        ConfirmedPuts { inner }
    }

    /// After an unknown outcome: sends the write again, and reads the object on a conflict.
    async fn settle(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
        mut last: Error,
    ) -> Result<PutResult> {
        for resend in 1..=RESENDS {
            warn!(path = %location, error = %last, "a conditional write's outcome is unknown; sending it again");
            tokio::time::sleep(Duration::from_millis(200 << resend)).await;
            match self
                .inner
                .put_opts(location, payload.clone(), opts.clone())
                .await
            {
                Ok(done) => return Ok(done),
                Err(e @ (Error::AlreadyExists { .. } | Error::Precondition { .. })) => {
                    return self.ours_or(location, &payload, e).await;
                }
                Err(e) if outcome_unknown(&e) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// The object at `location` if it holds exactly `payload` (the earlier send landed), else
    /// `conflict`: someone else's write is there.
    async fn ours_or(
        &self,
        location: &Path,
        payload: &PutPayload,
        conflict: Error,
    ) -> Result<PutResult> {
        let found = self.inner.get(location).await?;
        let meta = found.meta.clone();
        let stored = found.bytes().await?;
        let written: Vec<u8> = payload.iter().flat_map(|b| b.iter().copied()).collect();
        if stored.as_ref() == written.as_slice() {
            Ok(PutResult {
                e_tag: meta.e_tag,
                version: meta.version,
            })
        } else {
            Err(conflict)
        }
    }
}

/// Whether a failed request may still have been carried out: no answer came (a dropped
/// connection, a timeout), or the store failed inside (5xx). A 4xx answer is a definite no.
pub(crate) fn outcome_unknown(error: &Error) -> bool {
    match error {
        Error::Generic { .. } => {
            let text = error.to_string();
            match text.find("status code: ") {
                Some(at) => !text[at + "status code: ".len()..].starts_with('4'),
                None => true,
            }
        }
        _ => false,
    }
}

impl fmt::Display for ConfirmedPuts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfirmedPuts({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for ConfirmedPuts {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if matches!(opts.mode, PutMode::Overwrite) {
            return self.inner.put_opts(location, payload, opts).await;
        }
        match self
            .inner
            .put_opts(location, payload.clone(), opts.clone())
            .await
        {
            Err(e) if outcome_unknown(&e) => self.settle(location, payload, opts, e).await,
            // object_store itself sends a request again when its connection failed before an
            // answer, so even a first call's conflict may be this write's own earlier send.
            Err(e @ (Error::AlreadyExists { .. } | Error::Precondition { .. })) => {
                self.ours_or(location, &payload, e).await
            }
            other => other,
        }
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

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_without_a_definite_no_leave_the_outcome_unknown() {
        let generic = |text: &str| Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        };
        assert!(outcome_unknown(&generic(
            "Error performing PUT http://x/a in 1s - HTTP error: error sending request: operation timed out"
        )));
        assert!(outcome_unknown(&generic(
            "Server returned non-2xx status code: 503 Service Unavailable: SlowDown"
        )));
        assert!(!outcome_unknown(&generic(
            "Server returned non-2xx status code: 403 Forbidden: AccessDenied"
        )));
        assert!(!outcome_unknown(&Error::AlreadyExists {
            path: "a".into(),
            source: "exists".into(),
        }));
    }
}
