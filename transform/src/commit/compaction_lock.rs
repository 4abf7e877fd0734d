//! One compaction at a time per lake.
//!
//! Recovery rolls every leftover compaction intent forward or back, which is only right when
//! the compaction that wrote the intent is dead. So a run first takes the lake's compaction
//! lock: an object created with a conditional put (`PutMode::Create`), holding its owner and an
//! expiry. A second compactor (another `alarmlake compact`, or a consumer's scheduled
//! compaction on another worker) finds it held and skips its turn. A crashed compactor's lock
//! is taken over at once when it ran on this host (its process is gone), and otherwise when
//! its term lapses.

use chrono::{Duration, Utc};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};
use tracing::warn;

use super::layout::COMPACTION_LOCK as LOCK;
use crate::compaction::CompactionError;
use crate::confirmed_puts::outcome_unknown;
use crate::lake::Lake;

#[derive(Debug, Serialize, Deserialize)]
struct LockBody {
    owner: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    pid: u32,
    /// Milliseconds since the Unix epoch.
    until_ms: i64,
}

impl LockBody {
    /// Whether the holder is certainly gone: it ran on this host and its process has ended.
    fn holder_is_dead(&self, host: &str) -> bool {
        self.host == host
            && self.pid != 0
            && self.pid != std::process::id()
            && cfg!(target_os = "linux")
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

/// This host's name, to recognise locks left by dead processes here.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The held lock; [`CompactionLock::release`] gives it back, and it lapses after its term
/// unless [`CompactionLock::renew`]ed.
#[derive(Debug)]
pub struct CompactionLock {
    lake: Lake,
    path: Path,
    owner: String,
    host: String,
    term: Duration,
}

/// Who holds the lock when it could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    pub owner: String,
    pub until_ms: i64,
}

impl CompactionLock {
    /// Takes the lock for `term`, or says who holds it.
    pub async fn acquire(
        lake: &Lake,
        owner: &str,
        term: Duration,
    ) -> Result<Result<CompactionLock, HeldBy>, CompactionError> {
        let path = lake.path(LOCK)?;
        let lock = CompactionLock {
            lake: lake.clone(),
            path,
            owner: owner.to_string(),
            host: host_name(),
            term,
        };
        match lock.put(PutMode::Create).await {
            Ok(()) => return Ok(Ok(lock)),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let current = match lake.store().get(&lock.path).await {
            Ok(current) => current,
            // Released between our put and our read: try once more next run.
            Err(object_store::Error::NotFound { .. }) => {
                return Ok(Err(HeldBy {
                    owner: "(just released)".into(),
                    until_ms: 0,
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let e_tag = current.meta.e_tag.clone();
        let body: Option<LockBody> = serde_json::from_slice(&current.bytes().await?).ok();
        let now_ms = Utc::now().timestamp_millis();
        if let Some(body) = body.filter(|b| b.until_ms > now_ms && !b.holder_is_dead(&lock.host)) {
            return Ok(Err(HeldBy {
                owner: body.owner,
                until_ms: body.until_ms,
            }));
        }
        // The holder's term is over, its process is gone, or the lock is unreadable: take it
        // over, conditionally on what we read.
        let mode = PutMode::Update(UpdateVersion {
            e_tag,
            version: None,
        });
        match lock.put(mode).await {
            Ok(()) => Ok(Ok(lock)),
            Err(object_store::Error::NotImplemented { .. }) => {
                // The local store has no conditional update; delete and create instead, which
                // still lets only one of two racing compactors win.
                lake.store()
                    .delete(&lock.path)
                    .await
                    .or_else(not_found_ok)?;
                match lock.put(PutMode::Create).await {
                    Ok(()) => Ok(Ok(lock)),
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(Err(HeldBy {
                        owner: "(another compactor)".into(),
                        until_ms: 0,
                    })),
                    Err(e) => Err(e.into()),
                }
            }
            Err(object_store::Error::Precondition { .. }) => Ok(Err(HeldBy {
                owner: "(another compactor)".into(),
                until_ms: 0,
            })),
            Err(e) => Err(e.into()),
        }
    }

    /// Extends the term from now.
    pub async fn renew(&self) -> Result<(), CompactionError> {
        Ok(self.put(PutMode::Overwrite).await?)
    }

    /// Gives the lock back. A release whose outcome is unknown (a timeout, a 5xx) is not an
    /// error of the run: the work is committed, and an unreleased lock lapses with its term.
    pub async fn release(self) -> Result<(), CompactionError> {
        match self
            .lake
            .store()
            .delete(&self.path)
            .await
            .or_else(not_found_ok)
        {
            Ok(()) => Ok(()),
            Err(e) if outcome_unknown(&e) => {
                warn!(path = %self.path, error = %e, "could not release the compaction lock; it lapses at the end of its term");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn put(&self, mode: PutMode) -> Result<(), object_store::Error> {
        let body = LockBody {
            owner: self.owner.clone(),
            host: self.host.clone(),
            pid: std::process::id(),
            until_ms: (Utc::now() + self.term).timestamp_millis(),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        self.lake
            .store()
            .put_opts(&self.path, PutPayload::from(bytes), options)
            .await
            .map(|_| ())
    }
}

fn not_found_ok(e: object_store::Error) -> Result<(), object_store::Error> {
    match e {
        object_store::Error::NotFound { .. } => Ok(()),
        e => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_lock_is_refused_and_a_lapsed_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let first = CompactionLock::acquire(&lake, "a", Duration::minutes(10))
            .await
            .unwrap()
            .unwrap();
        let held = CompactionLock::acquire(&lake, "b", Duration::minutes(10))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(held.owner, "a");
        first.release().await.unwrap();
        let second = CompactionLock::acquire(&lake, "b", Duration::milliseconds(-1))
            .await
            .unwrap()
            .unwrap();
        // b's term is already over: c may take the lock.
        let third = CompactionLock::acquire(&lake, "c", Duration::minutes(1))
            .await
            .unwrap()
            .unwrap();
        drop(second);
        assert!(
            CompactionLock::acquire(&lake, "d", Duration::minutes(1))
                .await
                .unwrap()
                .is_err()
        );
        third.release().await.unwrap();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod dead_holder_tests {
    use super::*;

    #[test]
    fn only_a_gone_process_on_this_host_is_dead() {
        let body = |host: &str, pid: u32| LockBody {
            owner: "x".into(),
            host: host.into(),
            pid,
            until_ms: i64::MAX,
        };
        // PIDs are below 2^22 on Linux; this one cannot exist.
        assert!(body("here", 4_194_304 + 7).holder_is_dead("here"));
        assert!(!body("elsewhere", 4_194_304 + 7).holder_is_dead("here"));
        assert!(!body("here", 1).holder_is_dead("here"), "init is alive");
        assert!(!body("here", std::process::id()).holder_is_dead("here"));
    }
}
