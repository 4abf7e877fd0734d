//! A pre-flight check of a lake location: can this process list, write, read and delete there,
//! and does the store honour conditional writes? The exactly-once protocol and the leases rely
//! on `PutMode::Create` failing when the object exists; a store that ignores it (some
//! S3-compatible servers, or a proxy that strips the header) would let two workers both think
//! they own a shard, so `alarmlake consume --check` says so before anything runs.

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use tracing::warn;

use crate::confirmed_puts::outcome_unknown;
use crate::lake::{Lake, LakeError};

/// What the probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// A second create of the same object was refused, as it must be.
    pub conditional_writes: bool,
}

/// Lists `relative`, then creates, re-creates (which must fail), reads back and deletes a
/// probe object named `name` under it. Any permission problem is the error.
pub async fn probe(lake: &Lake, relative: &str, name: &str) -> Result<Probe, LakeError> {
    lake.list(relative).await?;
    let path = lake.path(&format!("{relative}/{name}"))?;
    let create = || PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    let body = PutPayload::from_static(b"alarmlake consume --check");
    lake.store().put_opts(&path, body, create()).await?;
    // Other bytes the second time: a create whose answer was lost is settled by comparing the
    // stored bytes (confirmed_puts.rs), and the same bytes would pass for this create's own.
    let again = PutPayload::from_static(b"alarmlake consume --check, again");
    let conditional_writes = match lake.store().put_opts(&path, again, create()).await {
        Ok(_) => false,
        Err(object_store::Error::AlreadyExists { .. })
        | Err(object_store::Error::Precondition { .. }) => true,
        Err(e) => {
            let _ = lake.store().delete(&path).await;
            return Err(e.into());
        }
    };
    let read = lake.store().get(&path).await?.bytes().await?;
    match lake.store().delete(&path).await {
        Ok(()) => {}
        // A delete that timed out or met a 5xx says nothing about permissions, and the probe
        // object left behind is a few bytes: the writes that wait for this check go on.
        Err(e) if outcome_unknown(&e) => {
            warn!(path = %path, error = %e, "could not delete the probe object; leaving it")
        }
        Err(e) => return Err(e.into()),
    }
    // A store that ignored the condition holds the second bytes.
    let expected: &[u8] = if conditional_writes {
        b"alarmlake consume --check"
    } else {
        b"alarmlake consume --check, again"
    };
    if read.as_ref() != expected {
        return Err(LakeError::BadPath(format!(
            "the probe object {path} read back different bytes"
        )));
    }
    Ok(Probe { conditional_writes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_lake_passes_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap(), None).unwrap();
        let probe = probe(&lake, "_alarmlake/check", "probe-1").await.unwrap();
        assert!(probe.conditional_writes);
        assert!(lake.list("").await.unwrap().is_empty());
    }
}
