//! One shard's reader: GetRecords within the shard's call budget, KPL de-aggregation, decoding
//! into the shard's own lake writer, and flushes that follow the intent → files → Delta commit
//! → checkpoint protocol (docs/ARCHITECTURE.md, "Exactly-once"). A flush takes everything
//! buffered, so after a commit every record up to the checkpoint is in the lake and nothing
//! after it is.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use alarmlake_schemas::{Decoder, Tally};
use alarmlake_transform::delta::{DeltaError, LakeTables, Member, Settled, ShardTxn};
use alarmlake_transform::late_rows::{Held, sequence_order};
use alarmlake_transform::sink::{CommitHook, FlushError, Pending, Sink, encode_batches};
use alarmlake_transform::{Lake, LakeError, PreparedFile, WriterConfig};
use chrono::Utc;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::arrival_tally::ArrivalTally;
use crate::backoff::Backoff;
use crate::bare_read;
use crate::checkpoint::{
    Checkpoint, CheckpointError, CheckpointStore, Intent, Lease, Stored, Version,
};
use crate::kinesis::{ErrorKind, Kinesis, KinesisError, RecordsPage, ShardInfo, StartAt};
use crate::lease::{LeaseOptions, now_ms};
use crate::metrics::{Metrics, ShardMetrics};
use crate::read_pace::{AfterPage, CallPacer, IDLE_WAIT, after_page, sleep_or_stop};
use crate::record_source::RecordSource;

/// Attempts at a lake or checkpoint write before the shard gives up and is restarted.
const WRITE_ATTEMPTS: u32 = 6;

/// Everything a shard reader needs; cheap to clone. `S` is where records come from: Kinesis
/// in production, an in-memory stream in unit tests.
#[derive(Clone)]
pub struct ShardContext<S = Kinesis> {
    pub source: S,
    pub lake: Arc<Lake>,
    /// The lake's table logs, shared by every shard of the process.
    pub tables: Arc<LakeTables>,
    /// The application and stream, which name each shard's txn in the tables' logs.
    pub app: String,
    pub stream: String,
    pub checkpoints: Arc<dyn CheckpointStore>,
    pub decoder: Arc<Decoder>,
    pub writer: WriterConfig,
    pub metrics: Arc<Metrics>,
    /// Who this worker is, and how long its leases last.
    pub lease: LeaseOptions,
    /// Return once the shard is caught up (an empty answer with nothing behind).
    pub drain: bool,
    /// Where a shard without a checkpoint and without parents starts.
    pub initial: StartAt,
    /// Records asked for per GetRecords call (Kinesis allows up to 10,000).
    pub records_per_call: i32,
    /// Which reader the coordinator runs on each shard.
    pub reader: ReaderKind,
}

/// The reader the coordinator starts for a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderKind {
    /// [`run`]: decode, write and commit with checkpoints. Production.
    Lake,
    /// [`crate::bare_read`]: read and count only, benchmark P6's baseline of what the
    /// stream yields with nothing done to it.
    BareRead,
}

/// Why a reader returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardEnd {
    /// SHARD_END reached and committed: the children may start.
    Finished,
    /// Asked to stop (shutdown, or handing the shard to another worker); everything read is
    /// committed and the lease released.
    Stopped,
    /// Caught up in drain mode; everything read is committed.
    Drained,
}

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("lake: {0}")]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Flush(#[from] FlushError),
    #[error("lake commit: {0}")]
    Delta(#[from] DeltaError),
    /// The reader's task panicked: a bug, but its shard is read again (from its checkpoint).
    #[error("the reader panicked: {0}")]
    Panicked(String),
}

impl ShardError {
    /// Why retrying can never cure this error: Kinesis or S3 refused these credentials (a
    /// policy changed, a KMS key was disabled), or the bucket is gone. `None` for anything a
    /// retry may get past.
    pub fn permanent_reason(&self) -> Option<String> {
        match self {
            ShardError::Kinesis(e) if e.kind == ErrorKind::Denied => Some(format!(
                "Kinesis refused {}; check the credentials, the stream's policy and its KMS key",
                e.operation
            )),
            ShardError::Kinesis(_) | ShardError::Panicked(_) => None,
            e if e.is_fenced() => None,
            e => alarmlake_transform::refusal_in_chain(e)
                .map(|reason| format!("the lake's store: {reason}")),
        }
    }

    /// Another worker took the shard: this one must not write it again.
    pub fn is_fenced(&self) -> bool {
        matches!(
            self,
            ShardError::Checkpoint(CheckpointError::Conflict(_))
                | ShardError::Delta(DeltaError::Fenced { .. })
        )
    }
}

impl<S> ShardContext<S> {
    /// The txn of `shard`'s flush `version`.
    fn txn(&self, shard_id: &str, version: i64) -> ShardTxn {
        ShardTxn {
            app_id: ShardTxn::app_id(&self.app, &self.stream, shard_id),
            version,
        }
    }
}

/// The shard's checkpoint as this reader last stored it.
pub(crate) struct Position {
    pub(crate) shard_id: String,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) version: Option<Version>,
}

impl Position {
    /// The position a freshly taken lease stands at.
    pub(crate) fn acquired(shard_id: &str, acquired: Stored) -> Position {
        Position {
            shard_id: shard_id.to_string(),
            checkpoint: acquired.checkpoint,
            version: Some(acquired.version),
        }
    }
}

/// The reader's view of its checkpoint and of what it has buffered since.
struct State {
    position: Position,
    /// The last record read (buffered, maybe not yet committed).
    last_read: Option<String>,
    sink: Sink,
    /// The flush round this shard's buffer belongs to, once it holds a record.
    round: Option<Member>,
    /// When the buffered records arrived in the stream, for the latency histogram.
    arrivals: ArrivalTally,
}

impl State {
    /// Whether a flush is due: what was read since the last (by size or by the flush clock),
    /// or a held late hour.
    fn due(&self, now: Instant) -> bool {
        self.sink.whole_due(now) || self.sink.late_due(now)
    }

    /// Where reading resumes: after the last record read; else at the first record whose
    /// late rows the checkpoint says are held (they are in no file); else after the checkpoint.
    fn resume_point(&self, fallback: &StartAt) -> StartAt {
        if let Some(last) = &self.last_read {
            return StartAt::After(last.clone());
        }
        let checkpoint = &self.position.checkpoint;
        if let Some(first) = checkpoint.held.as_ref().and_then(Held::first) {
            return StartAt::At(first.to_string());
        }
        match &checkpoint.sequence_number {
            Some(sequence) => StartAt::After(sequence.clone()),
            None => fallback.clone(),
        }
    }
}

/// Reads `shard`, whose lease this worker holds (`acquired`), with the context's kind of
/// reader, until it ends, `stop` becomes true, or (in drain mode) it is caught up. The lease is
/// released on every normal return.
pub async fn run<S: RecordSource>(
    ctx: ShardContext<S>,
    shard: ShardInfo,
    acquired: Stored,
    mut stop: watch::Receiver<bool>,
) -> Result<ShardEnd, ShardError> {
    let metrics = ctx.metrics.shard(&shard.id);
    let _reading = metrics.start_reading();
    let (end, mut position) = match ctx.reader {
        ReaderKind::Lake => {
            let mut state = recover(&ctx, &shard.id, acquired).await?;
            let end = read(&ctx, &shard, &metrics, &mut state, &mut stop).await?;
            (end, state.position)
        }
        ReaderKind::BareRead => {
            let mut position = Position::acquired(&shard.id, acquired);
            let end = bare_read::read(&ctx, &shard, &metrics, &mut position, &mut stop).await?;
            (end, position)
        }
    };
    release(&ctx, &mut position).await?;
    Ok(end)
}

/// Hands the shard back: the lease goes, the checkpoint stays. A last flush with something to
/// commit has already released it in its commit.
async fn release<S>(ctx: &ShardContext<S>, position: &mut Position) -> Result<(), ShardError> {
    if position.checkpoint.lease.is_some() {
        position.checkpoint.lease = None;
        save_as_is(ctx, position).await?;
    }
    Ok(())
}

/// Where a shard is first read from when it has no checkpoint: the configured start, except
/// for a child shard, read from its beginning because its parents' records are committed.
pub(crate) fn first_start<S>(ctx: &ShardContext<S>, shard: &ShardInfo) -> StartAt {
    if shard.parents.is_empty() {
        ctx.initial.clone()
    } else {
        StartAt::TrimHorizon
    }
}

/// An iterator at `start`, retrying while the stream is throttled or unavailable; `None` if a
/// stop was asked meanwhile.
pub(crate) async fn open_iterator<S: RecordSource>(
    ctx: &ShardContext<S>,
    shard_id: &str,
    start: &StartAt,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<String>, ShardError> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        match ctx.source.iterator(shard_id, start).await {
            Ok(iterator) => return Ok(Some(iterator)),
            Err(e) if e.retryable() => {
                warn!(shard = %shard_id, error = %e, "cannot get an iterator yet");
                if sleep_or_stop(stop, backoff.next_delay()).await {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What one GetRecords call came to.
pub(crate) enum Fetched {
    Page(RecordsPage),
    /// The iterator expired: get a new one where reading stands, and ask again.
    Expired,
    /// Throttled or failed for a while (counted in the shard's read errors): ask again after
    /// this wait.
    Retry(Duration),
}

/// One GetRecords call from `iterator`, with its error sorted into what the reader does next;
/// an error that waiting cannot fix is returned.
pub(crate) async fn fetch<S: RecordSource>(
    ctx: &ShardContext<S>,
    shard_id: &str,
    iterator: &str,
    backoff: &mut Backoff,
    metrics: &ShardMetrics,
) -> Result<Fetched, ShardError> {
    match ctx
        .source
        .get_records(shard_id, iterator, ctx.records_per_call)
        .await
    {
        Ok(page) => {
            backoff.reset();
            Ok(Fetched::Page(page))
        }
        Err(e) if e.kind == ErrorKind::ExpiredIterator => {
            debug!(shard = %shard_id, "iterator expired; getting a new one");
            Ok(Fetched::Expired)
        }
        Err(e) if e.retryable() => {
            metrics.read_errors.fetch_add(1, Relaxed);
            let wait = backoff.next_delay();
            warn!(shard = %shard_id, error = %e, wait_ms = wait.as_millis() as u64, "GetRecords failed; backing off");
            Ok(Fetched::Retry(wait))
        }
        Err(e) => Err(e.into()),
    }
}

async fn read<S: RecordSource>(
    ctx: &ShardContext<S>,
    shard: &ShardInfo,
    metrics: &ShardMetrics,
    state: &mut State,
    stop: &mut watch::Receiver<bool>,
) -> Result<ShardEnd, ShardError> {
    if state.position.checkpoint.finished {
        return Ok(ShardEnd::Finished);
    }
    let first_start = first_start(ctx, shard);
    let start = state.resume_point(&first_start);
    info!(shard = %shard.id, ?start, "reading shard");
    let Some(mut iterator) = open_iterator(ctx, &shard.id, &start, stop).await? else {
        return Ok(ShardEnd::Stopped);
    };
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    let mut pacer = CallPacer::default();
    loop {
        if *stop.borrow() {
            flush(ctx, metrics, state, Commit::AndRelease).await?;
            return Ok(ShardEnd::Stopped);
        }
        renew_if_due(ctx, &mut state.position).await?;
        if !ctx.source.pushes() && pacer.wait(stop).await {
            continue;
        }
        let page = match fetch(ctx, &shard.id, &iterator, &mut backoff, metrics).await? {
            Fetched::Page(page) => page,
            Fetched::Expired => {
                let resume = state.resume_point(&first_start);
                if let Some(fresh) = open_iterator(ctx, &shard.id, &resume, stop).await? {
                    iterator = fresh;
                }
                continue;
            }
            Fetched::Retry(wait) => {
                // Buffered records must not wait for the stream to recover.
                if state.due(Instant::now()) {
                    flush(ctx, metrics, state, Commit::Plain).await?;
                }
                sleep_or_stop(stop, wait).await;
                continue;
            }
        };
        metrics.read_page(&page.records, page.millis_behind_latest);
        let next = after_page(page.records.len(), page.millis_behind_latest, ctx.drain);
        let now = Instant::now();
        // The resume point is kept per page, not per record: this loop is the consumer's hot
        // path.
        if let Some(last) = page.records.last() {
            state.last_read = Some(last.position.sequence_number.clone());
        }
        let mut tally = Tally::default();
        for record in page.records {
            state.arrivals.add(record.position.arrival_time);
            state.sink.push(record, now, &mut tally);
        }
        metrics.count(&tally);
        if state.round.is_none()
            && let Some(tick) = state.sink.due_tick()
        {
            state.round = Some(ctx.tables.join_round(tick));
        }
        match page.next_iterator {
            None => {
                flush(ctx, metrics, state, Commit::FinishedAndRelease).await?;
                info!(shard = %shard.id, "shard ended (SHARD_END) and is committed");
                return Ok(ShardEnd::Finished);
            }
            Some(following) => iterator = following,
        }
        if state.due(Instant::now()) {
            flush(ctx, metrics, state, Commit::Plain).await?;
        }
        match next {
            AfterPage::ReadOn => {}
            AfterPage::WaitAtTip if !ctx.source.pushes() => {
                sleep_or_stop(stop, IDLE_WAIT).await;
            }
            AfterPage::WaitAtTip => {}
            AfterPage::Drained => {
                flush(ctx, metrics, state, Commit::AndRelease).await?;
                return Ok(ShardEnd::Drained);
            }
        }
    }
}

/// Starts from the checkpoint read when the lease was taken, settling a flush that a crash
/// (or the previous owner) left between its intent and its checkpoint: completed if its Delta
/// commit had begun, fenced otherwise (see [`LakeTables::settle`]). No file is deleted: a
/// fenced flush's files are in no snapshot, and vacuum removes them.
async fn recover<S>(
    ctx: &ShardContext<S>,
    shard_id: &str,
    acquired: Stored,
) -> Result<State, ShardError> {
    let mut position = Position::acquired(shard_id, acquired);
    if let Some(intent) = position.checkpoint.intent.take() {
        match intent.version {
            Some(version) => {
                let txn = ctx.txn(shard_id, version);
                let settled = ctx.tables.settle(&intent.files, &txn).await?;
                match settled {
                    Settled::RolledForward { committed } => {
                        info!(
                            shard = shard_id,
                            version,
                            committed,
                            "an interrupted flush had begun its commit; completed it"
                        );
                        position.checkpoint.sequence_number = Some(intent.sequence_number);
                        position.checkpoint.records += intent.records;
                        position.checkpoint.held = intent.held;
                    }
                    Settled::Fenced => warn!(
                        shard = shard_id,
                        version,
                        files = intent.files.len(),
                        "a flush was interrupted before its commit; it is fenced and read again"
                    ),
                }
                position.checkpoint.flushes = settled.last_version(version);
            }
            None => {
                // An intent of an alarmlake that wrote no Delta log: its files were never
                // committed anywhere (`lake convert` refuses while one is pending).
                warn!(
                    shard = shard_id,
                    files = intent.files.len(),
                    "a batch was interrupted before its commit; deleting its files and reading it again"
                );
                ctx.lake.delete(&intent.files).await?;
            }
        }
        position.version = Some(
            ctx.checkpoints
                .save(shard_id, &position.checkpoint, position.version.as_ref())
                .await?,
        );
    }
    let mut sink = Sink::new(ctx.decoder.clone(), ctx.writer.clone()).deaggregating();
    let checkpoint = &position.checkpoint;
    if let (Some(held), Some(until)) = (&checkpoint.held, &checkpoint.sequence_number) {
        info!(
            shard = shard_id,
            hours = held.hours.len(),
            from = held.first().unwrap_or_default(),
            "late rows were held and not written; reading them again"
        );
        sink.replaying(until.clone(), held);
    }
    Ok(State {
        position,
        last_read: None,
        sink,
        round: None,
        arrivals: ArrivalTally::default(),
    })
}

/// What a flush's commit says besides the new position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Commit {
    /// The reader goes on: the lease is renewed.
    Plain,
    /// The reader's last flush (stop, or drained): the lease is released in the same write.
    ///
    /// *Why in one write:* the release used to be a save of its own right after the commit,
    /// so every reader's end cost one more checkpoint write (a file `fsync`ed twice, or an S3
    /// PUT): a quarter of a drained shard's checkpoint writes.
    AndRelease,
    /// The shard is read to its end (SHARD_END), and the lease is released.
    FinishedAndRelease,
}

/// Makes everything buffered durable and moves the checkpoint to the last record read:
/// intent, files, commit. With nothing new to commit (and the shard not finished) it writes
/// nothing, and a release is left to the caller.
async fn flush<S: Sync>(
    ctx: &ShardContext<S>,
    metrics: &ShardMetrics,
    state: &mut State,
    commit: Commit,
) -> Result<(), ShardError> {
    let finished = commit == Commit::FinishedAndRelease;
    // A reader's last flush writes every late hour it holds too.
    let everything = commit != Commit::Plain;
    let now = Instant::now();
    let nothing_new =
        state.last_read.is_none() || state.last_read == state.position.checkpoint.sequence_number;
    let late_to_write = if everything {
        state.sink.holds_late()
    } else {
        state.sink.late_due(now)
    };
    if nothing_new && !finished && !late_to_write {
        return Ok(());
    }
    let started = Instant::now();
    let pending = *state.sink.pending();
    // Never behind the checkpoint: records read again after a crash end at it.
    let committed = state.position.checkpoint.sequence_number.clone();
    let target = match (state.last_read.clone(), committed) {
        (Some(read), Some(committed)) => Some(match sequence_order(&read, &committed) {
            std::cmp::Ordering::Less => committed,
            _ => read,
        }),
        (read, committed) => read.or(committed),
    };
    // A flush at (or after) its round's tick commits with the round, and so does a reader's
    // last flush (caught up in a drain, stopped, finished): its reader waits for nothing more,
    // and the shards of a drain or a stop end together. A flush for the size target leaves the
    // round and commits at once, so that a shard catching up never waits for the others.
    let round = state.round.take().filter(|member| {
        commit != Commit::Plain || member.tick() <= state.sink.tick_at(Instant::now())
    });
    let (batches, pending_now, held) = state
        .sink
        .take_for_commit(now, everything)
        .map_err(FlushError::from)?;
    let files = encode_batches(batches).await?;
    let mut hook = ShardCommit {
        ctx,
        position: &mut state.position,
        target,
        commit,
        files: 0,
        round,
        held,
    };
    hook.commit(files, &pending_now).await?;
    let files = hook.files;

    metrics.files.fetch_add(files as u64, Relaxed);
    metrics.commits.fetch_add(1, Relaxed);
    ctx.metrics.observe_commit(started.elapsed().as_secs_f64());
    ctx.metrics.health.committed();
    for (seconds, records) in state.arrivals.drain(Utc::now()) {
        ctx.metrics.observe_durable(seconds, records);
    }
    debug!(
        shard = %state.position.shard_id,
        records = pending.records,
        files,
        "committed"
    );
    Ok(())
}

/// A shard's commit protocol, as the sink's commit hook: record the intent (the exact file
/// names and the flush's txn version), write the files, commit them to the tables' logs with
/// the shard's txn, then move the checkpoint to `target` and clear the intent in one
/// conditional write.
struct ShardCommit<'a, S> {
    ctx: &'a ShardContext<S>,
    position: &'a mut Position,
    /// The last record the flush holds.
    target: Option<String>,
    commit: Commit,
    /// Files the flush wrote.
    files: usize,
    /// The flush round it commits with, when it comes at its round's tick.
    round: Option<Member>,
    /// The late hours still held after this flush.
    held: Option<Held>,
}

impl<S: Sync> CommitHook for ShardCommit<'_, S> {
    type Error = ShardError;

    async fn commit(
        &mut self,
        files: Vec<PreparedFile>,
        pending: &Pending,
    ) -> Result<(), ShardError> {
        let (ctx, position) = (self.ctx, &mut *self.position);
        let mut files = files;
        if !files.is_empty() {
            let version = position.checkpoint.flushes + 1;
            for file in &mut files {
                file.path = attempt_name(&file.path, version);
            }
            position.checkpoint.intent = Some(Intent {
                sequence_number: self.target.clone().unwrap_or_default(),
                files: files.iter().map(|f| f.path.clone()).collect(),
                version: Some(version),
                records: pending.records,
                held: self.held.clone(),
            });
            save(ctx, position).await?;
            ctx.tables.prepare(&files).await?;
            write_files(ctx, &position.shard_id, &files).await?;
            if let Some(pause) = pause_before_commit() {
                tokio::time::sleep(pause).await;
            }
            let txn = ctx.txn(&position.shard_id, version);
            ctx.tables
                .publish_in_round(&files, Some(&txn), self.round.as_mut())
                .await?;
            position.checkpoint.flushes = version;
        }
        position.checkpoint.intent = None;
        position.checkpoint.held = self.held.clone();
        position.checkpoint.sequence_number = self.target.clone();
        position.checkpoint.finished = self.commit == Commit::FinishedAndRelease;
        position.checkpoint.records += pending.records;
        if self.commit == Commit::Plain {
            save(ctx, position).await?;
        } else {
            position.checkpoint.lease = None;
            save_as_is(ctx, position).await?;
        }
        self.files = files.len();
        Ok(())
    }
}

/// Saves the checkpoint with the lease renewed, retrying store errors; a conflict (another
/// worker took the shard) is returned at once.
async fn save<S>(ctx: &ShardContext<S>, position: &mut Position) -> Result<(), ShardError> {
    position.checkpoint.lease = Some(Lease {
        owner: ctx.lease.worker.clone(),
        until_ms: now_ms() + ctx.lease.duration.as_millis() as i64,
    });
    save_as_is(ctx, position).await
}

/// Renews the lease once half of its term has passed.
pub(crate) async fn renew_if_due<S>(
    ctx: &ShardContext<S>,
    position: &mut Position,
) -> Result<(), ShardError> {
    let half = ctx.lease.duration.as_millis() as i64 / 2;
    let until = position.checkpoint.lease.as_ref().map_or(0, |l| l.until_ms);
    if until - now_ms() < half {
        save(ctx, position).await?;
    }
    Ok(())
}

/// Saves the checkpoint exactly as it is.
async fn save_as_is<S>(ctx: &ShardContext<S>, position: &mut Position) -> Result<(), ShardError> {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match ctx
            .checkpoints
            .save(
                &position.shard_id,
                &position.checkpoint,
                position.version.as_ref(),
            )
            .await
        {
            Ok(version) => {
                position.version = Some(version);
                return Ok(());
            }
            Err(e @ CheckpointError::Conflict(_)) => return Err(e.into()),
            Err(e) if backoff.attempts() + 1 >= WRITE_ATTEMPTS => return Err(e.into()),
            Err(e) => {
                ctx.metrics.health.write_failed(&e);
                warn!(shard = %position.shard_id, error = %e, "checkpoint save failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

async fn write_files<S>(
    ctx: &ShardContext<S>,
    shard_id: &str,
    files: &[PreparedFile],
) -> Result<(), ShardError> {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match ctx.lake.write(files).await {
            Ok(_) => return Ok(()),
            Err(e) if backoff.attempts() + 1 >= WRITE_ATTEMPTS => return Err(e.into()),
            Err(e) => {
                ctx.metrics.health.write_failed(&e);
                warn!(shard = shard_id, error = %e, "lake write failed; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

/// The name of a flush's file in attempt `version`: the writer's name (from the first row's
/// position) with the version before the extension.
///
/// *Why:* after a takeover, the new owner reads the same records again and its writer names its
/// files after the same first rows. Were the names equal, a paused worker's late put could
/// replace a file the new owner has committed, with rows of another cut of the stream.
fn attempt_name(path: &str, version: i64) -> String {
    match path.strip_suffix(".parquet") {
        Some(stem) => format!("{stem}-v{version}.parquet"),
        None => format!("{path}-v{version}"),
    }
}

/// A test hook: `ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS` holds every flush between its files and
/// its Delta commit, so a crash or pause test can stop the process exactly where a batch's
/// files exist and no log references them yet. Unset in production.
fn pause_before_commit() -> Option<Duration> {
    static PAUSE: OnceLock<Option<Duration>> = OnceLock::new();
    *PAUSE.get_or_init(|| {
        std::env::var("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis)
    })
}

#[cfg(test)]
mod tests;
