//! The consumer's front door: [`Consumer::new`] with a [`ConsumerConfig`], then
//! [`Consumer::run`] until a stop is asked for (or, draining, until caught up), or
//! [`Consumer::check`] to see whether it would run.
//!
//! It opens the lake, places the checkpoint store next to it (unless told otherwise), serves
//! the metrics, schedules the lake's upkeep (compaction, retention), runs the source (every
//! shard of a Kinesis stream, or a ser2sock connection), and returns what it did. The caller
//! (the binary) only turns flags into a config, waits for a signal and prints the summary.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alarmlake_aws::{AwsAccess, AwsError, AwsSettings, S3Settings};
use alarmlake_schemas::{Decoder, Tally};
use alarmlake_transform::delta::LakeTables;
use alarmlake_transform::maintenance::{self, MaintenanceError};
use alarmlake_transform::{Lake, LakeError, WriterConfig};
use tokio::sync::watch;
use tracing::info;

use crate::check::{self, CheckLine};
use crate::checkpoint::{self, CheckpointError};
use crate::coordinator::{self, ConsumerError, ConsumerOptions};
use crate::kinesis::{FanOut, Kinesis, KinesisError, KinesisOptions, StartAt};
use crate::lease::LeaseOptions;
use crate::metrics::Metrics;
use crate::metrics::server as metrics_server;
use crate::process_usage::{self, CpuSince};
use crate::record_source::RecordSource;
use crate::shard::{ReaderKind, ShardContext};
use crate::tcp::{self, TcpSourceError};
use crate::upkeep::{self, Upkeep};

/// Everything the consumer needs to know, whatever the source.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The lake: a folder, or s3://bucket/prefix.
    pub lake: String,
    /// An S3 endpoint (S3-compatible stores, emulators).
    pub s3_endpoint: Option<String>,
    /// The AWS profile and region the flags and the config file give; the chain finds the
    /// rest. Kinesis and S3 use the same.
    pub aws: AwsSettings,
    pub source: Source,
    /// When buffers become files.
    pub writer: WriterConfig,
    /// Scheduled compaction and retention.
    pub upkeep: Upkeep,
    /// Serve Prometheus metrics (`/metrics`, `/healthz`) here.
    pub metrics_addr: Option<SocketAddr>,
}

/// Where records come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Every shard of a Kinesis stream, with checkpoints and leases: exactly once.
    Kinesis(Box<KinesisSource>),
    /// Raw AlarmDecoder lines from a ser2sock server (host:port); nothing to replay from.
    Tcp { address: String },
}

/// A Kinesis stream and how to read it.
#[derive(Debug, Clone)]
pub struct KinesisSource {
    pub stream: String,
    /// Consumers with the same application name share the stream's shards.
    pub app: String,
    /// Where checkpoints live (a folder or s3://…); `None`: next to the lake.
    pub checkpoints: Option<String>,
    /// Where a shard without a checkpoint starts.
    pub start: StartAt,
    pub kinesis: KinesisOptions,
    /// Who this worker is, and how long its leases last.
    pub lease: LeaseOptions,
    /// How often shards are listed, heartbeats written and shards rebalanced.
    pub discovery_interval: Duration,
    /// Bytes all shards together may buffer before the largest buffers are written.
    pub buffer_budget_bytes: usize,
    /// Records asked for per GetRecords call (1 to 10,000).
    pub records_per_call: i32,
    /// Return once every shard is caught up and committed.
    pub drain: bool,
    /// Benchmark P6's baseline: read and count, but neither decode nor write nor commit.
    pub read_only: bool,
    /// Read through enhanced fan-out as this registered consumer, instead of polling.
    pub efo: Option<EfoOptions>,
}

/// Enhanced fan-out (`--efo NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfoOptions {
    /// The stream consumer's name (registered if new, reused if it exists), or its ARN.
    pub consumer: String,
    /// Deregister it when the consumer exits cleanly.
    pub deregister: bool,
}

impl KinesisSource {
    /// A source for `stream` with the defaults of `alarmlake consume`.
    pub fn new(stream: impl Into<String>) -> KinesisSource {
        let defaults = ConsumerOptions::default();
        KinesisSource {
            stream: stream.into(),
            app: "alarmlake".into(),
            checkpoints: None,
            start: StartAt::TrimHorizon,
            kinesis: KinesisOptions::default(),
            lease: LeaseOptions {
                worker: LeaseOptions::default_worker_name(),
                duration: Duration::from_secs(30),
            },
            discovery_interval: defaults.discovery_interval,
            buffer_budget_bytes: defaults.buffer_budget_bytes,
            records_per_call: 10_000,
            drain: false,
            read_only: false,
            efo: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub enum ConsumeSummary {
    Kinesis {
        records: u64,
        events: u64,
        rejected: u64,
        /// Of `records`, those read again to recover held late rows (see `Tally::replayed`).
        replayed: u64,
        shards_read: usize,
        /// CPU seconds used in all, and after start-up, where the platform says.
        cpu: Option<(f64, f64)>,
    },
    Tcp {
        connections: u64,
        lines: u64,
        files: u64,
        outcomes: Tally,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("cannot open lake {location}: {source}")]
    Lake { location: String, source: LakeError },
    #[error("checkpoints: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Maintenance(#[from] MaintenanceError),
    #[error(transparent)]
    Kinesis(#[from] ConsumerError),
    #[error(transparent)]
    Tcp(#[from] TcpSourceError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("a Kinesis source without the AWS set-up loaded")]
    NoAwsAccess,
    #[error("enhanced fan-out: {0}")]
    FanOut(KinesisError),
}

/// How long a stopping consumer waits for a scheduled compaction, retention or vacuum run still
/// in progress. Everything the consumer read is committed by then; an upkeep run cut short
/// leaves at most files no commit references, so a stop never waits on a long merge.
pub const UPKEEP_GRACE: Duration = Duration::from_secs(5);

/// A configured consumer.
pub struct Consumer {
    config: ConsumerConfig,
    decoder: Arc<Decoder>,
}

impl Consumer {
    pub fn new(config: ConsumerConfig, decoder: Decoder) -> Consumer {
        Consumer {
            config,
            decoder: Arc::new(decoder),
        }
    }

    /// Checks the settings, the source, the lake and the permissions, handing each finding to
    /// `on_line` as it comes; returns the number of failed checks (0: the consumer would run).
    /// It writes nothing but a probe object it deletes again.
    pub async fn check(&self, on_line: &mut dyn FnMut(CheckLine)) -> usize {
        let aws = self.aws().await;
        match &self.config.source {
            Source::Kinesis(source) => {
                check::check_kinesis(&self.config, source, aws, on_line).await
            }
            Source::Tcp { address } => check::check_tcp(&self.config, address, aws, on_line).await,
        }
    }

    /// The process's AWS access and its S3 settings, loaded once. The chain is loaded only
    /// for a Kinesis source or a lake or checkpoint location on S3: a ser2sock source into a
    /// local lake never reads profiles or asks instance metadata.
    pub(crate) async fn aws(&self) -> Result<(Option<AwsAccess>, S3Settings), AwsError> {
        let config = &self.config;
        let (kinesis_endpoint, checkpoints) = match &config.source {
            Source::Kinesis(source) => (
                Some(source.kinesis.endpoint_url.as_deref()),
                source.checkpoints.as_deref(),
            ),
            Source::Tcp { .. } => (None, None),
        };
        let mut s3 = S3Settings {
            endpoint: config.s3_endpoint.clone(),
            access: None,
        };
        let on_s3 = [Some(config.lake.as_str()), checkpoints]
            .into_iter()
            .flatten()
            .any(|location| location.starts_with("s3://"));
        if kinesis_endpoint.is_none() && !on_s3 {
            return Ok((None, s3));
        }
        let endpoint_override = kinesis_endpoint.flatten().is_some()
            || config.s3_endpoint.is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let access = AwsAccess::load(&AwsSettings {
            endpoint_override,
            ..config.aws.clone()
        })
        .await?;
        s3.access = Some(access.clone());
        Ok((Some(access), s3))
    }

    /// Runs until `stop` becomes true (everything read is then written and committed), or
    /// until drained. Call it inside a tokio runtime, and give the runtime [`UPKEEP_GRACE`] to
    /// wind down the upkeep task afterwards.
    pub async fn run(self, stop: watch::Receiver<bool>) -> Result<ConsumeSummary, ConsumeError> {
        let config = &self.config;
        let (access, s3) = self.aws().await?;
        if let Some(access) = &access {
            // Credentials resolved now: an expired SSO session or a missing profile key is one
            // clear error at start, not a retry loop.
            access.check().await?;
        }
        let lake = Lake::open(&config.lake, Some(&s3)).map_err(|source| ConsumeError::Lake {
            location: config.lake.clone(),
            source,
        })?;
        let explicit = match &config.source {
            Source::Kinesis(source) => source.checkpoints.as_deref(),
            Source::Tcp { .. } => None,
        };
        let upkeep_locations = maintenance::checkpoint_locations(&lake, explicit, Some(&s3))?;
        let metrics = Arc::new(Metrics::default());
        metrics.health.set_flush_interval(config.writer.max_age);
        let server = match config.metrics_addr {
            Some(addr) => Some(
                metrics_server::serve(addr, metrics.clone(), stop.clone())
                    .await
                    .map_err(|source| ConsumeError::Metrics { addr, source })?,
            ),
            None => None,
        };
        let upkeep_task = upkeep::spawn(
            config.upkeep.clone(),
            lake.clone(),
            upkeep_locations,
            stop.clone(),
        );
        let result = match &config.source {
            Source::Kinesis(source) => {
                let access = access.ok_or(ConsumeError::NoAwsAccess)?;
                self.run_kinesis(source, lake, &s3, &access, metrics.clone(), stop)
                    .await
            }
            Source::Tcp { address } => {
                info!(%address, lake = %config.lake, "reading ser2sock lines");
                let writer = config.writer.clone();
                let decoder = self.decoder.clone();
                tcp::run(address, Arc::new(lake), decoder, writer, metrics, stop)
                    .await
                    .map(|summary| ConsumeSummary::Tcp {
                        connections: summary.connections,
                        lines: summary.lines,
                        files: summary.files,
                        outcomes: summary.outcomes,
                    })
                    .map_err(ConsumeError::from)
            }
        };
        if let Some((_, task)) = server {
            task.abort();
        }
        if let Some(task) = upkeep_task {
            task.abort();
        }
        result
    }

    async fn run_kinesis(
        &self,
        source: &KinesisSource,
        lake: Lake,
        s3: &S3Settings,
        access: &AwsAccess,
        metrics: Arc<Metrics>,
        stop: watch::Receiver<bool>,
    ) -> Result<ConsumeSummary, ConsumeError> {
        let kinesis = Kinesis::connect(&source.stream, &source.kinesis, access).await;
        let Some(efo) = &source.efo else {
            return self
                .read_shards(kinesis, source, lake, s3, metrics, stop)
                .await;
        };
        let fan_out = FanOut::register(kinesis, &efo.consumer)
            .await
            .map_err(ConsumeError::FanOut)?;
        info!(
            consumer = fan_out.consumer_arn(),
            "reading with enhanced fan-out"
        );
        let summary = self
            .read_shards(fan_out.clone(), source, lake, s3, metrics, stop)
            .await?;
        if efo.deregister {
            fan_out.deregister().await.map_err(ConsumeError::FanOut)?;
        }
        Ok(summary)
    }

    /// Reads every shard of the stream from `records` (polling or fan-out) until stopped.
    async fn read_shards<S: RecordSource>(
        &self,
        records: S,
        source: &KinesisSource,
        lake: Lake,
        s3: &S3Settings,
        metrics: Arc<Metrics>,
        stop: watch::Receiver<bool>,
    ) -> Result<ConsumeSummary, ConsumeError> {
        let checkpoints = checkpoint::open_store(source, &lake, s3)?;
        // A locked local folder has one user: its leases are this process's predecessors', and
        // a restart takes them at once under the plain id.
        let worker = if checkpoints.exclusive() {
            source.lease.worker.clone()
        } else {
            instance_name(&source.lease.worker)
        };
        info!(stream = %source.stream, lake = %self.config.lake, app = %source.app, %worker, "consuming");
        let tables = Arc::new(LakeTables::new(lake.clone()));
        let ctx = ShardContext {
            source: records,
            tables,
            app: source.app.clone(),
            stream: source.stream.clone(),
            lake: Arc::new(lake),
            checkpoints,
            decoder: self.decoder.clone(),
            writer: self.config.writer.clone(),
            metrics: metrics.clone(),
            lease: LeaseOptions {
                worker,
                ..source.lease.clone()
            },
            drain: source.drain,
            initial: source.start.clone(),
            records_per_call: source.records_per_call,
            reader: if source.read_only {
                ReaderKind::BareRead
            } else {
                ReaderKind::Lake
            },
        };
        let options = ConsumerOptions {
            discovery_interval: source.discovery_interval,
            buffer_budget_bytes: source.buffer_budget_bytes,
            ..ConsumerOptions::default()
        };
        // Start-up ends here: the clients are built and the first call to the stream is next.
        let work = CpuSince::now();
        let run = coordinator::run(ctx, options, stop).await?;
        let totals = metrics.totals();
        let cpu = process_usage::cpu_seconds().zip(work.elapsed());
        Ok(ConsumeSummary::Kinesis {
            records: totals.records,
            events: totals.events,
            rejected: totals.rejected,
            replayed: totals.replayed,
            shards_read: run.shards_read,
            cpu,
        })
    }
}

/// The name this process's leases and heartbeat carry in a shared store (S3): the worker id and
/// a token of this start (`a#3f9c2e1b`).
///
/// *Why:* a lease held under the worker id alone was this process's own to any process of the
/// same id. Two consumers with one id (a second systemd instance, two containers with one host
/// name) then took shards from each other and deleted each other's files in flight. With the
/// token, the other is another worker; a restarted process waits for its predecessor's leases
/// to lapse (one `--lease-secs`), as for any dead worker.
fn instance_name(worker: &str) -> String {
    format!("{worker}#{:08x}", rand::random::<u32>())
}
