//! A ser2sock source: raw AlarmDecoder lines from a TCP server (`ser2sock` shares the device's
//! serial port over the network), for home users without AWS. It reconnects with backoff when the
//! connection drops, and writes through the same decoder and lake writer as the consumer.
//!
//! A TCP stream cannot be replayed, so there is no checkpoint: a line is in the lake once its
//! flush is done, and lines buffered when the process dies are lost (at most `max_age` of them).
//! Each line's position is the connection (`shard_id`, the time it opened) and its line number
//! on that connection (`sequence_number`), which is unique and traceable.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alarmlake_schemas::{Decoder, RawRecord, RecordPosition, Tally};
use alarmlake_transform::sink::{Sink, WriteError, WriteToLake};
use alarmlake_transform::{Lake, WriterConfig};
use chrono::{SecondsFormat, Utc};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::backoff::Backoff;
use crate::metrics::Metrics;

/// Longest line kept; a longer one is cut here and rejected by the decoder as too long.
const MAX_LINE: usize = 1 << 20;
/// How often buffers are checked for their age when lines are sparse.
const TICK: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum TcpSourceError {
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpSummary {
    pub connections: u64,
    pub lines: u64,
    pub files: u64,
    /// What the lines became: events, rejects (dead letters) and chatter.
    pub outcomes: Tally,
}

/// Reads lines from `address` (host:port) into `lake` until `stop` becomes true.
pub async fn run(
    address: &str,
    lake: Arc<Lake>,
    decoder: Arc<Decoder>,
    config: WriterConfig,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> Result<TcpSummary, TcpSourceError> {
    let stream_name = format!("tcp://{address}");
    let shard_metrics = metrics.shard(&stream_name);
    let mut sink = Sink::new(decoder, config);
    let mut hook = WriteToLake::new(&lake);
    let mut summary = TcpSummary::default();
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    'connections: while !*stop.borrow() {
        let socket = tokio::select! {
            socket = TcpStream::connect(address) => socket,
            _ = stop.changed() => break,
        };
        let socket = match socket {
            Ok(socket) => socket,
            Err(e) => {
                let wait = backoff.next_delay();
                warn!(%address, error = %e, wait_s = wait.as_secs_f64(), "cannot connect; retrying");
                sink.flush_due(Instant::now(), &mut hook).await?;
                tokio::select! {
                    _ = tokio::time::sleep(wait) => continue,
                    _ = stop.changed() => break,
                }
            }
        };
        backoff.reset();
        summary.connections += 1;
        let opened = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        info!(%address, connection = %opened, "connected");
        let mut reader = BufReader::new(socket);
        let mut line = Vec::new();
        let mut number = 0u64;
        let mut tick = tokio::time::interval(TICK);
        loop {
            // `line` keeps a partly read line across a tick: read_until appends to it.
            let mut limited = (&mut reader).take(MAX_LINE as u64);
            let read = tokio::select! {
                read = limited.read_until(b'\n', &mut line) => read,
                _ = tick.tick() => {
                    sink.flush_due(Instant::now(), &mut hook).await?;
                    continue;
                }
                _ = stop.changed() => break 'connections,
            };
            match read {
                Ok(0) => {
                    warn!(%address, "the server closed the connection; reconnecting");
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    warn!(%address, error = %e, "connection failed; reconnecting");
                    break;
                }
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            if line.is_empty() {
                continue;
            }
            number += 1;
            summary.lines += 1;
            shard_metrics
                .records
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let record = RawRecord {
                data: std::mem::take(&mut line),
                position: RecordPosition::line(&stream_name, &opened, number, Utc::now()),
            };
            let mut tally = Tally::default();
            sink.push(record, Instant::now(), &mut tally);
            shard_metrics.count(&tally);
            summary.outcomes.add_all(&tally);
        }
    }
    sink.flush_all(&mut hook).await?;
    summary.files = hook.files;
    Ok(summary)
}
