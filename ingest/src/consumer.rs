//! The consumer: finds the stream's shards (at start and periodically), runs one reader task per
//! shard whose parents are done, restarts readers that fail, and on stop waits for every reader
//! to flush and commit.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::backoff::Backoff;
use crate::kinesis::{ErrorKind, KinesisError, ShardInfo};
use crate::shard::{self, ShardContext, ShardEnd, ShardError};

#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// How often ListShards runs to find new shards (after a reshard).
    pub discovery_interval: Duration,
    /// How long to wait for readers to flush and commit after a stop.
    pub shutdown_timeout: Duration,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            discovery_interval: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The stream is missing or the credentials are wrong: stop at once with this message.
    #[error("cannot read stream {stream}: {source}")]
    Start {
        stream: String,
        source: KinesisError,
    },
    #[error("readers did not finish within {0:?} of the stop")]
    ShutdownTimeout(Duration),
}

/// How the run ended.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub finished_shards: usize,
    pub shards_read: usize,
}

/// Reads the stream until `ctx.stop` becomes true (or, in drain mode, until every shard is
/// caught up or finished).
pub async fn run(ctx: ShardContext, options: ConsumerOptions) -> Result<RunSummary, ConsumerError> {
    let stream = ctx.kinesis.stream().to_string();
    if let Err(source) = ctx.kinesis.check().await {
        if matches!(
            source.kind,
            ErrorKind::NotFound | ErrorKind::Denied | ErrorKind::Other
        ) {
            return Err(ConsumerError::Start { stream, source });
        }
        warn!(error = %source, "the stream did not answer at start; will keep trying");
    }
    let mut stop = ctx.stop.clone();
    let mut tasks: JoinSet<(String, Result<ShardEnd, ShardError>)> = JoinSet::new();
    let mut running: HashSet<String> = HashSet::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut drained: HashSet<String> = HashSet::new();
    let mut retry_at: HashMap<String, (Instant, Backoff)> = HashMap::new();
    let mut shards: Vec<ShardInfo> = Vec::new();
    let mut next_discovery = Instant::now();
    let mut list_backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let mut summary = RunSummary::default();

    loop {
        if *stop.borrow() {
            break;
        }
        let now = Instant::now();
        if now >= next_discovery {
            match ctx.kinesis.list_shards().await {
                Ok(listed) => {
                    shards = listed;
                    list_backoff.reset();
                    next_discovery = now + options.discovery_interval;
                }
                Err(e) => {
                    let wait = list_backoff.next_delay();
                    warn!(error = %e, "ListShards failed; retrying");
                    next_discovery = now + wait;
                }
            }
        }
        let listed: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
        for shard in &shards {
            let id = &shard.id;
            if running.contains(id) || finished.contains(id) || drained.contains(id) {
                continue;
            }
            if retry_at.get(id).is_some_and(|(at, _)| *at > now) {
                continue;
            }
            if !parents_done(&ctx, shard, &listed, &mut finished).await {
                continue;
            }
            running.insert(id.clone());
            summary.shards_read += 1;
            let shard_ctx = ctx.clone();
            let shard = shard.clone();
            tasks.spawn(async move {
                let id = shard.id.clone();
                (id, shard::run(shard_ctx, shard).await)
            });
        }
        if ctx.drain
            && running.is_empty()
            && !shards.is_empty()
            && shards
                .iter()
                .all(|s| finished.contains(&s.id) || drained.contains(&s.id))
        {
            info!("every shard is caught up or finished (drain)");
            break;
        }
        let wake = retry_at
            .values()
            .map(|(at, _)| *at)
            .filter(|at| *at > now)
            .chain([next_discovery])
            .min()
            .unwrap_or(next_discovery);
        tokio::select! {
            Some(joined) = tasks.join_next() => {
                let Ok((id, result)) = joined else {
                    error!("a shard reader panicked");
                    continue;
                };
                running.remove(&id);
                match result {
                    Ok(ShardEnd::Finished) => {
                        finished.insert(id.clone());
                        retry_at.remove(&id);
                        summary.finished_shards += 1;
                        // Its children may be listed already, or appear now.
                        next_discovery = Instant::now();
                    }
                    Ok(ShardEnd::Drained) => {
                        drained.insert(id.clone());
                    }
                    Ok(ShardEnd::Stopped) => {}
                    Err(e) if e.is_fenced() => {
                        warn!(shard = %id, error = %e, "another worker owns this shard now; not reading it");
                        retry_at.insert(id, (Instant::now() + options.discovery_interval, Backoff::new(Duration::from_secs(1), Duration::from_secs(60))));
                    }
                    Err(ShardError::Kinesis(e)) if e.kind == ErrorKind::NotFound => {
                        warn!(shard = %id, error = %e, "the shard is gone (expired); skipping it");
                        finished.insert(id);
                    }
                    Err(e) => {
                        let (at, backoff) = retry_at.entry(id.clone()).or_insert_with(|| {
                            (Instant::now(), Backoff::new(Duration::from_secs(1), Duration::from_secs(60)))
                        });
                        let wait = backoff.next_delay();
                        *at = Instant::now() + wait;
                        error!(shard = %id, error = %e, wait_s = wait.as_secs_f64(), "shard reader failed; restarting it from its checkpoint");
                    }
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = stop.changed() => {}
        }
    }

    // Stop (or drain) requested: every reader flushes, commits and returns.
    let deadline = tokio::time::sleep(options.shutdown_timeout);
    tokio::pin!(deadline);
    while !tasks.is_empty() {
        tokio::select! {
            Some(joined) = tasks.join_next() => {
                if let Ok((id, Err(e))) = joined {
                    error!(shard = %id, error = %e, "shard reader failed while stopping");
                }
            }
            _ = &mut deadline => {
                tasks.abort_all();
                return Err(ConsumerError::ShutdownTimeout(options.shutdown_timeout));
            }
        }
    }
    Ok(summary)
}

/// Whether a shard's parents are read to their end and committed. A parent no longer listed
/// has expired from the stream, so there is nothing left to read in it.
async fn parents_done(
    ctx: &ShardContext,
    shard: &ShardInfo,
    listed: &HashSet<&str>,
    finished: &mut HashSet<String>,
) -> bool {
    for parent in &shard.parents {
        if finished.contains(parent) || !listed.contains(parent.as_str()) {
            continue;
        }
        match ctx.checkpoints.load(parent).await {
            Ok(Some(stored)) if stored.checkpoint.finished => {
                finished.insert(parent.clone());
            }
            Ok(_) => return false,
            Err(e) => {
                warn!(shard = %shard.id, parent = %parent, error = %e, "cannot read the parent's checkpoint");
                return false;
            }
        }
    }
    true
}
