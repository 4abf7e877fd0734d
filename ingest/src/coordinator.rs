//! The consumer: finds the stream's shards (at start and periodically), takes the leases of its
//! fair share of them, runs one reader task per leased shard whose parents are done, restarts
//! readers that fail, hands surplus shards back when other workers join, and on stop waits for
//! every reader to flush, commit and release its lease.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use alarmlake_transform::delta::DeltaError;
use alarmlake_transform::{Lake, LakeError};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::backoff::Backoff;
use crate::checkpoint;
use crate::kinesis::{ErrorKind, KinesisError, ShardInfo};
use crate::lease::{self, Acquired, fair_share, now_ms};
use crate::metrics::Metrics;
use crate::record_source::RecordSource;
use crate::shard::{self, ShardContext, ShardEnd, ShardError};

#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// How often ListShards runs, heartbeats are sent and the shares are balanced.
    pub discovery_interval: Duration,
    /// How long to wait for readers to flush and commit after a stop.
    pub shutdown_timeout: Duration,
    /// Record bytes all readers together may buffer before writing: each reader gets an equal
    /// part, so memory stays bounded however many shards this worker reads.
    pub buffer_budget_bytes: usize,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            discovery_interval: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(60),
            buffer_budget_bytes: 128 * 1024 * 1024,
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
    /// The lake cannot work as configured (no such bucket, access refused).
    #[error("cannot write to lake {location}: {reason} ({source})")]
    Lake {
        location: String,
        reason: &'static str,
        source: LakeError,
    },
    #[error(transparent)]
    Unconverted(DeltaError),
    #[error("readers did not finish within {0:?} of the stop")]
    ShutdownTimeout(Duration),
    /// Access was refused mid-run, again and again: a permission or KMS key changed, which
    /// only an operator can fix. Everything committed stays; a restart resumes from there.
    #[error("stopped: {reason} ({error})")]
    Refused { reason: String, error: String },
}

/// The key of ListShards' refusals in [`Shards::refusals`], and of the heartbeat's.
const LIST_SHARDS: &str = "";
const HEARTBEAT: &str = "\0heartbeat";

/// Refusals in a row (by one shard's reader or lease, by the heartbeat, or by ListShards) after
/// which the consumer stops.
///
/// *Why not at the first:* a policy change can take a few seconds to reach every AWS endpoint,
/// and each reader has already retried its write a few times; three restarts in a row (about a
/// quarter of a minute) rule out a blip without leaving a consumer spinning on a refusal for ever.
const REFUSALS_BEFORE_STOP: u32 = 3;

/// How the run ended.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub finished_shards: usize,
    pub shards_read: usize,
}

/// What this worker knows about the shards.
#[derive(Default)]
struct Shards {
    listed: Vec<ShardInfo>,
    /// Readers running, with the channel that asks each to stop.
    running: HashMap<String, watch::Sender<bool>>,
    finished: HashSet<String>,
    drained: HashSet<String>,
    /// Held by another worker at the last attempt, with its name.
    elsewhere: HashMap<String, String>,
    /// Workers whose heartbeat is current (this one included).
    live: HashSet<String>,
    /// The heartbeat's lapse time each worker had when this one first saw it.
    first_seen_until: HashMap<String, i64>,
    /// Workers seen renewing their heartbeat since this one started (this one included):
    /// alive now, not a crashed process whose last heartbeat has not lapsed yet.
    renewed: HashSet<String>,
    retry_at: HashMap<String, (Instant, Backoff)>,
    /// The shard each reader task reads, by task: a task that panics returns no shard id, and
    /// its shard must not stay "running" forever (read by no one, and a drain never ending).
    readers: HashMap<tokio::task::Id, String>,
    /// Refusals in a row, by shard, [`LIST_SHARDS`] and [`HEARTBEAT`].
    refusals: HashMap<String, u32>,
    /// Why the consumer must stop, once refusals reached [`REFUSALS_BEFORE_STOP`].
    refused: Option<(String, String)>,
}

impl Shards {
    /// Counts a refusal by `who`; true once there were enough in a row to stop.
    /// Counts `error` against `who` if it is a refusal ([`ShardError::permanent_reason`]);
    /// true once there were enough in a row to stop.
    fn refusal(&mut self, who: &str, error: &ShardError) -> bool {
        let Some(reason) = error.permanent_reason() else {
            return false;
        };
        let count = self.refusals.entry(who.to_string()).or_insert(0);
        *count += 1;
        if *count >= REFUSALS_BEFORE_STOP {
            self.refused = Some((reason, error.to_string()));
        }
        self.refused.is_some()
    }
}

/// Reads the stream until `stop` becomes true (or, in drain mode, until every shard is caught
/// up, finished, or read by another worker).
pub async fn run<S: RecordSource>(
    ctx: ShardContext<S>,
    options: ConsumerOptions,
    mut stop: watch::Receiver<bool>,
) -> Result<RunSummary, ConsumerError> {
    let stream = ctx.source.stream().to_string();
    if let Err(source) = ctx.source.check().await {
        if matches!(
            source.kind,
            ErrorKind::NotFound | ErrorKind::Denied | ErrorKind::Other
        ) {
            return Err(ConsumerError::Start { stream, source });
        }
        warn!(error = %source, "the stream did not answer at start; will keep trying");
    }
    // Leases and checkpoints live in the lake by default, so a missing bucket would otherwise
    // show only as a lease that can never be taken, retried for ever.
    if let Err(source) = ctx.lake.check_reachable().await {
        if let Some(reason) = Lake::permanent_reason(&source) {
            return Err(ConsumerError::Lake {
                location: ctx.lake.location().to_string(),
                reason,
                source,
            });
        }
        warn!(error = %source, "the lake did not answer at start; will keep trying");
    }
    // A lake an earlier alarmlake wrote cannot take commits until it is converted: say so now,
    // not as a failing flush retried for ever.
    if let Err(error @ DeltaError::Unconverted { .. }) = ctx.tables.check_converted().await {
        return Err(ConsumerError::Unconverted(error));
    }
    info!(worker = %ctx.lease.worker, "worker started");
    let mut tasks: JoinSet<(String, Result<ShardEnd, ShardError>)> = JoinSet::new();
    let mut shards = Shards::default();
    let mut next_discovery = Instant::now();
    let mut list_backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let mut summary = RunSummary::default();
    let mut share = usize::MAX;

    loop {
        if *stop.borrow() {
            break;
        }
        let now = Instant::now();
        if now >= next_discovery {
            match ctx.source.list_shards().await {
                Ok(listed) => {
                    shards.refusals.remove(LIST_SHARDS);
                    shards.listed = listed;
                    list_backoff.reset();
                    next_discovery = now + options.discovery_interval;
                }
                Err(e) => {
                    warn!(error = %e, "ListShards failed; retrying");
                    next_discovery = now + list_backoff.next_delay();
                    if shards.refusal(LIST_SHARDS, &ShardError::Kinesis(e)) {
                        break;
                    }
                }
            }
            share = balance(&ctx, &mut shards).await.unwrap_or(share);
            shards.elsewhere.clear();
        }
        start_readers(&ctx, &options, &mut shards, &mut tasks, share, &mut summary).await;
        if shards.refused.is_some() {
            break;
        }
        // Hand surplus shards back, so that workers that joined get theirs.
        if shards.running.len() > share {
            let surplus: Vec<String> = shards
                .running
                .keys()
                .take(shards.running.len() - share)
                .cloned()
                .collect();
            for id in surplus {
                info!(shard = %id, share, "handing the shard to another worker");
                if let Some(sender) = shards.running.get(&id) {
                    let _ = sender.send(true);
                }
            }
        }
        if ctx.drain
            && tasks.is_empty()
            && !shards.listed.is_empty()
            && shards.listed.iter().all(|s| {
                shards.finished.contains(&s.id)
                    || shards.drained.contains(&s.id)
                    // A shard held by a live worker is that worker's to drain; one held by a
                    // dead worker is taken once its lease lapses. Live means seen renewing its
                    // heartbeat: a process killed just before this one started still has a
                    // current heartbeat, and its shards must not be left undrained.
                    || shards.elsewhere.get(&s.id).is_some_and(|owner| {
                        shards.renewed.contains(&checkpoint::worker_key(owner))
                    })
            })
        {
            info!("every shard is caught up, finished, or read by another worker (drain)");
            break;
        }
        let wake = shards
            .retry_at
            .values()
            .map(|(at, _)| *at)
            .filter(|at| *at > now)
            .chain([next_discovery])
            .min()
            .unwrap_or(next_discovery);
        tokio::select! {
            Some(joined) = tasks.join_next_with_id() => {
                let (task, id, result) = match joined {
                    Ok((task, (id, result))) => (task, id, result),
                    Err(failure) => {
                        let Some(id) = shards.readers.get(&failure.id()).cloned() else {
                            error!(error = %failure, "an unknown task ended");
                            continue;
                        };
                        (failure.id(), id, Err(ShardError::Panicked(failure.to_string())))
                    }
                };
                shards.readers.remove(&task);
                shards.running.remove(&id);
                let metrics = &ctx.metrics;
                if let Some(again) = finished_reader(&mut shards, id, result, &mut summary, metrics) {
                    next_discovery = next_discovery.min(again);
                }
                if shards.refused.is_some() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = stop.changed() => {}
        }
    }

    // Stop requested: every reader flushes, commits, releases its lease and returns.
    for sender in shards.running.values() {
        let _ = sender.send(true);
    }
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
    // Gone: the others count one worker fewer at once, not when the heartbeat lapses.
    if let Err(e) = ctx.checkpoints.forget_worker(&ctx.lease.worker).await {
        warn!(error = %e, "cannot remove this worker's heartbeat");
    }
    match shards.refused {
        Some((reason, error)) => Err(ConsumerError::Refused { reason, error }),
        None => Ok(summary),
    }
}

/// How long after it lapsed a worker's heartbeat is deleted.
const FORGET_HEARTBEATS_AFTER_MS: i64 = 3_600_000;

/// Sends this worker's heartbeat, notes the live workers, and returns this worker's fair share
/// of the unfinished shards.
async fn balance<S>(ctx: &ShardContext<S>, shards: &mut Shards) -> Option<usize> {
    let now = now_ms();
    let term = ctx.lease.duration.as_millis() as i64;
    if let Err(e) = ctx
        .checkpoints
        .heartbeat(&ctx.lease.worker, now + term)
        .await
    {
        warn!(error = %e, "cannot send the worker heartbeat");
        shards.refusal(HEARTBEAT, &ShardError::Checkpoint(e));
    } else {
        shards.refusals.remove(HEARTBEAT);
    }
    match ctx.checkpoints.workers().await {
        Ok(workers) => {
            // Listed names are object names: compare this worker's in the same form, or a name
            // with a dot (a host name) counts this worker twice and halves its share.
            let me = checkpoint::worker_key(&ctx.lease.worker);
            let mut live = HashSet::new();
            for (name, until) in workers {
                if until > now || name == me {
                    let first = *shards.first_seen_until.entry(name.clone()).or_insert(until);
                    if until > first {
                        shards.renewed.insert(name.clone());
                    }
                    live.insert(name);
                } else if now - until > FORGET_HEARTBEATS_AFTER_MS {
                    // Every start has its own name, so the heartbeats of stopped processes
                    // would pile up; one lapsed this long ago belongs to no live worker.
                    let _ = ctx.checkpoints.forget_worker(&name).await;
                }
            }
            live.insert(me.clone());
            shards.renewed.insert(me);
            shards.live = live;
        }
        Err(e) => {
            warn!(error = %e, "cannot list the workers");
            return None;
        }
    }
    let live = shards.live.len();
    let open = shards
        .listed
        .iter()
        .filter(|s| !shards.finished.contains(&s.id))
        .count();
    Some(fair_share(open, live))
}

/// Starts readers for shards that are free, ready (parents done) and within this worker's share.
async fn start_readers<S: RecordSource>(
    ctx: &ShardContext<S>,
    options: &ConsumerOptions,
    shards: &mut Shards,
    tasks: &mut JoinSet<(String, Result<ShardEnd, ShardError>)>,
    share: usize,
    summary: &mut RunSummary,
) {
    let now = Instant::now();
    let listed: HashSet<String> = shards.listed.iter().map(|s| s.id.clone()).collect();
    let candidates: Vec<ShardInfo> = shards.listed.clone();
    for shard in candidates {
        if shards.running.len() >= share {
            return;
        }
        let id = &shard.id;
        if shards.running.contains_key(id)
            || shards.finished.contains(id)
            || shards.drained.contains(id)
            || shards.elsewhere.contains_key(id)
            || shards.retry_at.get(id).is_some_and(|(at, _)| *at > now)
        {
            continue;
        }
        if !parents_done(ctx, &shard, &listed, &mut shards.finished).await {
            continue;
        }
        let acquired = match lease::acquire(ctx.checkpoints.as_ref(), id, &ctx.lease).await {
            Ok(Acquired::Mine(acquired)) => *acquired,
            Ok(Acquired::HeldBy(owner)) => {
                shards.elsewhere.insert(id.clone(), owner);
                continue;
            }
            Err(e) => {
                warn!(shard = %id, error = %e, "cannot take the shard's lease");
                shards.refusal(id, &ShardError::Checkpoint(e));
                continue;
            }
        };
        if acquired.checkpoint.finished {
            shards.finished.insert(id.clone());
        }
        let (sender, receiver) = watch::channel(false);
        shards.running.insert(id.clone(), sender);
        summary.shards_read += 1;
        let mut shard_ctx = ctx.clone();
        let readers = share.min(shards.listed.len()).max(1);
        let part = options.buffer_budget_bytes / readers;
        shard_ctx.writer.target_bytes = shard_ctx.writer.target_bytes.min(part);
        shard_ctx.writer.max_buffered_bytes = shard_ctx.writer.max_buffered_bytes.min(part);
        let reader_id = id.clone();
        let task = tasks.spawn(async move {
            let id = shard.id.clone();
            (id, shard::run(shard_ctx, shard, acquired, receiver).await)
        });
        shards.readers.insert(task.id(), reader_id);
    }
}

/// Records how a reader ended; returns when to list the shards again, if sooner than planned.
fn finished_reader(
    shards: &mut Shards,
    id: String,
    result: Result<ShardEnd, ShardError>,
    summary: &mut RunSummary,
    metrics: &Metrics,
) -> Option<Instant> {
    if result.is_ok() {
        shards.refusals.remove(&id);
    }
    match result {
        Ok(ShardEnd::Finished) => {
            shards.finished.insert(id.clone());
            shards.retry_at.remove(&id);
            summary.finished_shards += 1;
            // Its children may be listed already, or appear now.
            Some(Instant::now())
        }
        Ok(ShardEnd::Drained) => {
            shards.drained.insert(id);
            None
        }
        Ok(ShardEnd::Stopped) => {
            // Handed back: another worker may take it; this one waits a round before retrying.
            shards.elsewhere.insert(id, String::new());
            None
        }
        Err(e) if e.is_fenced() => {
            warn!(shard = %id, error = %e, "another worker took this shard; stopped reading it");
            shards.elsewhere.insert(id, String::new());
            None
        }
        Err(ShardError::Kinesis(e)) if e.kind == ErrorKind::NotFound => {
            warn!(shard = %id, error = %e, "the shard is gone (expired); skipping it");
            shards.finished.insert(id);
            None
        }
        Err(e) => {
            if shards.refusal(&id, &e) {
                error!(shard = %id, error = %e, "access refused {REFUSALS_BEFORE_STOP} times in a row, so the consumer stops (what is committed stays; restart once access is restored)");
                metrics.health.write_failed(&format!("shard {id}: {e}"));
                return None;
            }
            let (at, backoff) = shards.retry_at.entry(id.clone()).or_insert_with(|| {
                (
                    Instant::now(),
                    Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
                )
            });
            let wait = backoff.next_delay();
            *at = Instant::now() + wait;
            error!(shard = %id, error = %e, wait_s = wait.as_secs_f64(), "shard reader failed; restarting it from its checkpoint");
            metrics.reader_restarts.fetch_add(1, Relaxed);
            metrics.health.write_failed(&format!("shard {id}: {e}"));
            None
        }
    }
}

/// Whether a shard's parents are read to their end and committed. A parent no longer listed
/// has expired from the stream, so there is nothing left to read in it.
async fn parents_done<S>(
    ctx: &ShardContext<S>,
    shard: &ShardInfo,
    listed: &HashSet<String>,
    finished: &mut HashSet<String>,
) -> bool {
    for parent in &shard.parents {
        if finished.contains(parent) || !listed.contains(parent) {
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

#[cfg(test)]
mod tests;
