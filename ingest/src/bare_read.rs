//! The bare reader: GetRecords in a loop, counting what arrives and doing nothing else (no
//! decoding, no files, no commits). It is benchmark P6's baseline (`consume
//! --bench-read-only`): what the stream yields to a reader with no work of its own, against
//! which the real reader's cost is measured.
//!
//! *Why a reader of its own:* as a branch inside [`crate::shard`]'s loop it put a benchmark's
//! switch on the production hot path and made the reader harder to read. It shares the
//! reader's pacing, iterator retries and lease handling, so the baseline reads the stream the
//! way the real reader does.

use std::time::Duration;

use tokio::sync::watch;
use tracing::info;

use crate::backoff::Backoff;
use crate::kinesis::{ShardInfo, StartAt};
use crate::metrics::ShardMetrics;
use crate::read_pace::{AfterPage, CallPacer, IDLE_WAIT, after_page, sleep_or_stop};
use crate::record_source::RecordSource;
use crate::shard::{
    Fetched, Position, ShardContext, ShardEnd, ShardError, fetch, first_start, open_iterator,
    renew_if_due,
};

/// Reads `shard` from its configured start until it ends, `stop` becomes true, or (in drain
/// mode) it is caught up, counting records and bytes in the shard's metrics. The checkpoint
/// never moves; the lease is renewed while reading (and released by the caller).
pub(crate) async fn read<S: RecordSource>(
    ctx: &ShardContext<S>,
    shard: &ShardInfo,
    metrics: &ShardMetrics,
    position: &mut Position,
    stop: &mut watch::Receiver<bool>,
) -> Result<ShardEnd, ShardError> {
    let start = first_start(ctx, shard);
    info!(shard = %shard.id, ?start, "reading shard without writing (bare read)");
    let Some(mut iterator) = open_iterator(ctx, &shard.id, &start, stop).await? else {
        return Ok(ShardEnd::Stopped);
    };
    let mut last_read: Option<String> = None;
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    let mut pacer = CallPacer::default();
    loop {
        if *stop.borrow() {
            return Ok(ShardEnd::Stopped);
        }
        renew_if_due(ctx, position).await?;
        if pacer.wait(stop).await {
            continue;
        }
        let page = match fetch(ctx, &shard.id, &iterator, &mut backoff, metrics).await? {
            Fetched::Page(page) => page,
            Fetched::Expired => {
                let resume = last_read.clone().map_or(start.clone(), StartAt::After);
                if let Some(fresh) = open_iterator(ctx, &shard.id, &resume, stop).await? {
                    iterator = fresh;
                }
                continue;
            }
            Fetched::Retry(wait) => {
                sleep_or_stop(stop, wait).await;
                continue;
            }
        };
        metrics.read_page(&page.records, page.millis_behind_latest);
        let next = after_page(page.records.len(), page.millis_behind_latest, ctx.drain);
        if let Some(last) = page.records.last() {
            last_read = Some(last.position.sequence_number.clone());
        }
        match (page.next_iterator, next) {
            (None, _) => return Ok(ShardEnd::Finished),
            (Some(_), AfterPage::Drained) => return Ok(ShardEnd::Drained),
            (Some(following), _) => iterator = following,
        }
        if next == AfterPage::WaitAtTip {
            sleep_or_stop(stop, IDLE_WAIT).await;
        }
    }
}
