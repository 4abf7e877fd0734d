//! The consumer's `--check`: validates the settings, reaches the stream (or the ser2sock
//! server) and the lake, checks the permissions the consumer needs (list, write, read, delete,
//! and conditional writes, on which exactly-once and the leases rely), and prints what the
//! consumer would do. It writes nothing but a probe object it deletes again (a local lake's
//! checkpoint folder is created, as the consumer would), and it says whether anything would
//! stop the consumer.

use std::time::Duration;

use alarmlake_aws::{AwsAccess, AwsError, S3Settings};
use alarmlake_transform::Lake;
use alarmlake_transform::commit::PROBES;
use alarmlake_transform::probe::probe;
use chrono::Utc;

use crate::checkpoint::{self, CheckpointError};
use crate::consumer::{ConsumerConfig, KinesisSource};
use crate::kinesis::{Kinesis, StartAt};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Ok,
    /// Something that would stop the consumer.
    Fail,
    /// Worth knowing, but not in the way.
    Note,
}

/// One line of `--check`'s report: what was checked, and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    pub status: CheckStatus,
    pub what: &'static str,
    pub text: String,
}

/// The checks' outcomes, handed on as they come.
struct Report<'a> {
    on_line: &'a mut dyn FnMut(CheckLine),
    failures: usize,
}

impl Report<'_> {
    fn line(&mut self, status: CheckStatus, what: &'static str, text: impl AsRef<str>) {
        if status == CheckStatus::Fail {
            self.failures += 1;
        }
        (self.on_line)(CheckLine {
            status,
            what,
            text: text.as_ref().to_string(),
        });
    }

    fn ok(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.line(CheckStatus::Ok, what, text);
    }

    fn fail(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.line(CheckStatus::Fail, what, text);
    }

    fn note(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.line(CheckStatus::Note, what, text);
    }

    fn failures(&self) -> usize {
        self.failures
    }
}

/// A probe object name that no other check uses.
fn probe_name() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("probe-{}-{nanos}", std::process::id())
}

/// Checks a lake location; `needs_conditional` when checkpoints or leases live there.
async fn check_store(
    report: &mut Report<'_>,
    what: &'static str,
    store: &Lake,
    relative: &str,
    needs_conditional: bool,
) {
    match probe(store, relative, &probe_name()).await {
        Ok(found) if found.conditional_writes => report.ok(
            what,
            format!("{}: list, write, read and delete work; conditional writes are honoured", store.location()),
        ),
        Ok(_) if needs_conditional => report.fail(
            what,
            format!(
                "{}: a second conditional create succeeded, so leases and checkpoints there are not safe; use a store with conditional writes (S3 has them) or a local --checkpoints folder",
                store.location()
            ),
        ),
        Ok(_) => report.note(what, format!("{}: works, but ignores conditional writes", store.location())),
        Err(e) => report.fail(what, format!("{}: {e}", store.location())),
    }
}

fn check_metrics(report: &mut Report<'_>, addr: Option<std::net::SocketAddr>) {
    if let Some(addr) = addr {
        match std::net::TcpListener::bind(addr) {
            Ok(_) => report.ok(
                "metrics",
                format!("{addr} is free to serve /metrics and /healthz"),
            ),
            Err(e) => report.fail("metrics", format!("cannot listen on {addr}: {e}")),
        }
    }
}

/// The AWS set-up: which source gave credentials and region (never the secrets). `None` when
/// it cannot work, with the failure reported.
async fn check_aws(
    report: &mut Report<'_>,
    aws: Result<(Option<AwsAccess>, S3Settings), AwsError>,
) -> Option<(Option<AwsAccess>, S3Settings)> {
    let (access, s3) = match aws {
        Ok(loaded) => loaded,
        Err(e) => {
            report.fail("aws", e.to_string());
            return None;
        }
    };
    if let Some(access) = &access {
        let profile = access.named_profile().map_or(String::new(), |(name, by)| {
            format!("profile `{name}` (from {by}), ")
        });
        report.ok(
            "aws",
            format!(
                "{profile}region {} (from {})",
                access.region(),
                access.region_source()
            ),
        );
        match access.check().await {
            Ok(credentials) => report.ok("aws", format!("credentials from {credentials}")),
            Err(e) => {
                report.fail("aws", e.to_string());
                return None;
            }
        }
    }
    Some((access, s3))
}

/// `--check` for the Kinesis consumer; the number of failed checks.
pub(crate) async fn check_kinesis(
    config: &ConsumerConfig,
    source: &KinesisSource,
    aws: Result<(Option<AwsAccess>, S3Settings), AwsError>,
    on_line: &mut dyn FnMut(CheckLine),
) -> usize {
    let mut report = Report {
        on_line,
        failures: 0,
    };
    report.ok(
        "config",
        format!(
            "stream {}, lake {}, app {}, worker {}",
            source.stream, config.lake, source.app, source.lease.worker
        ),
    );
    let Some((Some(access), s3)) = check_aws(&mut report, aws).await else {
        return report.failures().max(1);
    };
    let mut options = source.kinesis.clone();
    options.attempt_timeout = Some(options.attempt_timeout.unwrap_or(Duration::from_secs(10)));
    let kinesis = Kinesis::connect(&source.stream, &options, &access).await;
    let shards = match kinesis.check().await {
        Ok(summary) => {
            let shards = kinesis.list_shards().await;
            let listed = shards.as_ref().map_or(0, Vec::len);
            report.ok(
                "kinesis",
                format!(
                    "stream {}: {}, {} open shards ({listed} listed), retention {} h",
                    source.stream,
                    summary.status,
                    summary.open_shards.map_or("?".into(), |n| n.to_string()),
                    summary
                        .retention_hours
                        .map_or("?".into(), |n| n.to_string()),
                ),
            );
            match shards {
                Ok(shards) => shards,
                Err(e) => {
                    report.fail("kinesis", format!("ListShards: {e}"));
                    Vec::new()
                }
            }
        }
        Err(e) => {
            report.fail("kinesis", format!("stream {}: {e}", source.stream));
            Vec::new()
        }
    };
    let lake = match Lake::open(&config.lake, Some(&s3)) {
        Ok(lake) => lake,
        Err(e) => {
            report.fail("lake", format!("{}: {e}", config.lake));
            return report.failures();
        }
    };
    let checkpoints_on_lake = source.checkpoints.is_none() && config.lake.starts_with("s3://");
    check_store(&mut report, "lake", &lake, PROBES, checkpoints_on_lake).await;
    if let Some(url) = source
        .checkpoints
        .as_deref()
        .filter(|u| u.starts_with("s3://"))
    {
        match Lake::open(url, Some(&s3)) {
            Ok(store) => check_store(&mut report, "checkpoints", &store, "_check", true).await,
            Err(e) => report.fail("checkpoints", format!("{url}: {e}")),
        }
    }
    let mut resuming = 0;
    let mut finished = 0;
    let mut leased_elsewhere = 0;
    match checkpoint::open_store(source, &lake, &s3) {
        Ok(store) => {
            let now_ms = Utc::now().timestamp_millis();
            for shard in &shards {
                match store.load(&shard.id).await {
                    Ok(Some(stored)) => {
                        let checkpoint = stored.checkpoint;
                        resuming += usize::from(checkpoint.sequence_number.is_some());
                        finished += usize::from(checkpoint.finished);
                        leased_elsewhere += usize::from(checkpoint.lease.is_some_and(|l| {
                            l.owner != source.lease.worker && l.until_ms > now_ms
                        }));
                    }
                    Ok(None) => {}
                    Err(e) => report.fail("checkpoints", format!("shard {}: {e}", shard.id)),
                }
            }
            report.ok(
                "checkpoints",
                format!("{resuming} of {} shards have a checkpoint", shards.len()),
            );
        }
        Err(CheckpointError::Locked { path }) => report.note(
            "checkpoints",
            format!("{path} is locked by a running consumer (fine if that is this service)"),
        ),
        Err(e) => report.fail("checkpoints", e.to_string()),
    }
    check_metrics(&mut report, config.metrics_addr);
    let start = match &source.start {
        StartAt::TrimHorizon => "the oldest record (trim-horizon)".to_string(),
        StartAt::Latest => "new records only (latest)".to_string(),
        StartAt::AtTimestamp(t) => format!("records from {}", t.to_rfc3339()),
        StartAt::After(seq) => format!("after {seq}"),
        StartAt::At(seq) => format!("at {seq}"),
    };
    report.note(
        "plan",
        format!(
            "read {} shards ({finished} finished, {resuming} resume from a checkpoint, {leased_elsewhere} leased by other live workers; the rest start at {start})",
            shards.len()
        ),
    );
    report.note(
        "plan",
        format!(
            "write a shard's files every {} s or {} MB, buffering at most {} MB in all; leases of {} s",
            config.writer.max_age.as_secs(),
            config.writer.target_bytes / (1024 * 1024),
            source.buffer_budget_bytes / (1024 * 1024),
            source.lease.duration.as_secs()
        ),
    );
    report.note("plan", config.upkeep.describe());
    report.failures()
}

/// `--check` for the ser2sock source; the number of failed checks.
pub(crate) async fn check_tcp(
    config: &ConsumerConfig,
    address: &str,
    aws: Result<(Option<AwsAccess>, S3Settings), AwsError>,
    on_line: &mut dyn FnMut(CheckLine),
) -> usize {
    let mut report = Report {
        on_line,
        failures: 0,
    };
    let Some((_, s3)) = check_aws(&mut report, aws).await else {
        return report.failures();
    };
    let connect = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(address),
    )
    .await;
    match connect {
        Ok(Ok(_)) => report.ok("ser2sock", format!("{address} accepts connections")),
        Ok(Err(e)) => report.fail("ser2sock", format!("{address}: {e}")),
        Err(_) => report.fail("ser2sock", format!("{address}: no answer within 5 s")),
    }
    match Lake::open(&config.lake, Some(&s3)) {
        Ok(store) => check_store(&mut report, "lake", &store, PROBES, false).await,
        Err(e) => report.fail("lake", format!("{}: {e}", config.lake)),
    }
    report.note("plan", config.upkeep.describe());
    report.failures()
}
