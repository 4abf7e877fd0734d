//! Shard leases for several `alarmlake consume` processes sharing a stream, kept in the shard's
//! checkpoint object (no DynamoDB). A worker takes a shard whose lease is absent, expired or its
//! own, with a conditional save; it renews the lease with every save and at half its term; and a
//! save that fails its condition means another worker took the shard, so this one stops before
//! it writes again (fencing). Workers announce themselves with heartbeats, and each aims at its
//! share of the shards, handing surplus shards back after a commit.

use std::time::Duration;

use chrono::Utc;

use crate::checkpoint::{CheckpointError, CheckpointStore, Lease, Stored};

#[derive(Debug, Clone)]
pub struct LeaseOptions {
    /// This worker's name, unique among the workers of the application.
    pub worker: String,
    /// How long a lease lasts without renewal.
    pub duration: Duration,
}

impl LeaseOptions {
    /// The host's name: a consumer restarted on the same host takes its own leases back at
    /// once instead of waiting for them to lapse. Several consumers of one application on one
    /// host need distinct `--worker-id`s.
    pub fn default_worker_name() -> String {
        std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "worker".into())
    }
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Whether `lease` keeps other workers away at `now`.
pub fn held_by_other(lease: Option<&Lease>, worker: &str, now: i64) -> bool {
    lease.is_some_and(|l| l.owner != worker && l.until_ms > now)
}

/// The outcome of trying to take a shard.
#[derive(Debug)]
pub enum Acquired {
    /// This worker holds the lease now; here is the checkpoint it starts from.
    Mine(Box<Stored>),
    /// Another worker holds it (or won the race for it).
    HeldBy(String),
}

/// Takes the shard for `options.worker` unless another worker's lease on it is still running.
pub async fn acquire(
    store: &dyn CheckpointStore,
    shard_id: &str,
    options: &LeaseOptions,
) -> Result<Acquired, CheckpointError> {
    let now = now_ms();
    let (mut checkpoint, version) = match store.load(shard_id).await? {
        Some(stored) => (stored.checkpoint, Some(stored.version)),
        None => (Default::default(), None),
    };
    if held_by_other(checkpoint.lease.as_ref(), &options.worker, now) {
        let owner = checkpoint.lease.map(|l| l.owner).unwrap_or_default();
        return Ok(Acquired::HeldBy(owner));
    }
    checkpoint.lease = Some(Lease {
        owner: options.worker.clone(),
        until_ms: now + options.duration.as_millis() as i64,
    });
    match store.save(shard_id, &checkpoint, version.as_ref()).await {
        Ok(version) => Ok(Acquired::Mine(Box::new(Stored {
            checkpoint,
            version,
        }))),
        Err(CheckpointError::Conflict(_)) => Ok(Acquired::HeldBy("another worker".into())),
        Err(e) => Err(e),
    }
}

/// How many shards each of `live` workers should read, at most.
pub fn fair_share(shards: usize, live: usize) -> usize {
    shards.div_ceil(live.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::file::FileStore;

    #[test]
    fn shares_round_up() {
        assert_eq!(fair_share(8, 2), 4);
        assert_eq!(fair_share(5, 2), 3);
        assert_eq!(fair_share(3, 0), 3);
        assert_eq!(fair_share(0, 3), 0);
    }

    #[tokio::test]
    async fn a_live_lease_keeps_others_out_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let a = LeaseOptions {
            worker: "a".into(),
            duration: Duration::from_secs(60),
        };
        let b = LeaseOptions {
            worker: "b".into(),
            duration: Duration::from_secs(60),
        };
        let mine = |a: Acquired| match a {
            Acquired::Mine(stored) => *stored,
            Acquired::HeldBy(owner) => panic!("held by {owner}"),
        };
        let taken = mine(acquire(&store, "s1", &a).await.unwrap());
        assert_eq!(taken.checkpoint.lease.as_ref().unwrap().owner, "a");
        assert!(matches!(
            acquire(&store, "s1", &b).await.unwrap(),
            Acquired::HeldBy(owner) if owner == "a"
        ));
        // Its own lease is renewed.
        mine(acquire(&store, "s1", &a).await.unwrap());

        // An expired lease is free to take.
        let mut stale = store.load("s1").await.unwrap().unwrap();
        stale.checkpoint.lease.as_mut().unwrap().until_ms = now_ms() - 1;
        store
            .save("s1", &stale.checkpoint, Some(&stale.version))
            .await
            .unwrap();
        let taken = mine(acquire(&store, "s1", &b).await.unwrap());
        assert_eq!(taken.checkpoint.lease.unwrap().owner, "b");
    }
}
