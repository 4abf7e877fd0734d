//! `alarmlake consume --check`: validates the settings, reaches the stream (or the ser2sock
//! server) and the lake, checks the permissions the consumer needs (list, write, read, delete,
//! and conditional writes, on which exactly-once and the leases rely), and prints what the
//! consumer would do. It writes nothing but a probe object it deletes again (a local lake's
//! checkpoint folder is created, as the consumer would), and it exits 2
//! if anything would stop the consumer.

use std::process::ExitCode;
use std::time::Duration;

use alarmlake_ingest::checkpoint::CheckpointError;
use alarmlake_ingest::kinesis::{Kinesis, KinesisOptions, StartAt};
use alarmlake_transform::Lake;
use alarmlake_transform::probe::probe;
use chrono::Utc;

use super::upkeep::Upkeep;
use super::{Settings, checkpoint_store};

/// The checks' outcomes, printed as they come.
#[derive(Default)]
struct Report {
    failures: usize,
}

impl Report {
    fn ok(&mut self, what: &str, text: impl AsRef<str>) {
        println!("ok    {what:<12} {}", text.as_ref());
    }

    fn fail(&mut self, what: &str, text: impl AsRef<str>) {
        self.failures += 1;
        println!("FAIL  {what:<12} {}", text.as_ref());
    }

    fn note(&mut self, what: &str, text: impl AsRef<str>) {
        println!("note  {what:<12} {}", text.as_ref());
    }

    fn exit_code(&self) -> ExitCode {
        if self.failures == 0 {
            println!("all checks passed");
            ExitCode::SUCCESS
        } else {
            println!(
                "{} check(s) failed: the consumer would not run",
                self.failures
            );
            ExitCode::from(2)
        }
    }
}

/// A probe object name that no other check uses.
fn probe_name() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("probe-{}-{nanos}", std::process::id())
}

/// Checks a lake location; `needs_conditional` when checkpoints or leases live there.
async fn check_store(
    report: &mut Report,
    what: &str,
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

fn check_metrics(report: &mut Report, addr: Option<std::net::SocketAddr>) {
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

/// `--check` for the Kinesis consumer.
pub(super) async fn check_kinesis(settings: &Settings, upkeep: &Upkeep) -> ExitCode {
    let mut report = Report::default();
    report.ok(
        "config",
        format!(
            "stream {}, lake {}, app {}, worker {}",
            settings.stream, settings.lake, settings.app, settings.lease.worker
        ),
    );
    let kinesis = Kinesis::connect(
        &settings.stream,
        &KinesisOptions {
            endpoint_url: settings.kinesis_endpoint.clone(),
            region: settings.region.clone(),
            attempt_timeout: Some(settings.kinesis_timeout.unwrap_or(Duration::from_secs(10))),
        },
    )
    .await;
    let shards = match kinesis.check().await {
        Ok(summary) => {
            let shards = kinesis.list_shards().await;
            let listed = shards.as_ref().map_or(0, Vec::len);
            report.ok(
                "kinesis",
                format!(
                    "stream {}: {}, {} open shards ({listed} listed), retention {} h",
                    settings.stream,
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
            report.fail("kinesis", format!("stream {}: {e}", settings.stream));
            Vec::new()
        }
    };
    let lake = match Lake::open(&settings.lake, settings.s3_endpoint.as_deref()) {
        Ok(lake) => lake,
        Err(e) => {
            report.fail("lake", format!("{}: {e}", settings.lake));
            return report.exit_code();
        }
    };
    let checkpoints_on_lake = settings.checkpoints.is_none() && settings.lake.starts_with("s3://");
    check_store(
        &mut report,
        "lake",
        &lake,
        "_alarmlake/check",
        checkpoints_on_lake,
    )
    .await;
    if let Some(url) = settings
        .checkpoints
        .as_deref()
        .filter(|u| u.starts_with("s3://"))
    {
        match Lake::open(url, settings.s3_endpoint.as_deref()) {
            Ok(store) => check_store(&mut report, "checkpoints", &store, "_check", true).await,
            Err(e) => report.fail("checkpoints", format!("{url}: {e}")),
        }
    }
    let mut resuming = 0;
    let mut finished = 0;
    let mut leased_elsewhere = 0;
    match checkpoint_store(settings, &lake) {
        Ok(store) => {
            let now_ms = Utc::now().timestamp_millis();
            for shard in &shards {
                match store.load(&shard.id).await {
                    Ok(Some(stored)) => {
                        let checkpoint = stored.checkpoint;
                        resuming += usize::from(checkpoint.sequence_number.is_some());
                        finished += usize::from(checkpoint.finished);
                        leased_elsewhere += usize::from(checkpoint.lease.is_some_and(|l| {
                            l.owner != settings.lease.worker && l.until_ms > now_ms
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
        Err(e) => match e.downcast_ref::<CheckpointError>() {
            Some(CheckpointError::Locked { path }) => report.note(
                "checkpoints",
                format!("{path} is locked by a running consumer (fine if that is this service)"),
            ),
            _ => report.fail("checkpoints", format!("{e:#}")),
        },
    }
    check_metrics(&mut report, settings.metrics_addr);
    let start = match &settings.start {
        StartAt::TrimHorizon => "the oldest record (trim-horizon)".to_string(),
        StartAt::Latest => "new records only (latest)".to_string(),
        StartAt::AtTimestamp(t) => format!("records from {}", t.to_rfc3339()),
        StartAt::After(seq) => format!("after {seq}"),
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
            settings.writer.max_age.as_secs(),
            settings.writer.target_bytes / (1024 * 1024),
            settings.consumer.buffer_budget_bytes / (1024 * 1024),
            settings.lease.duration.as_secs()
        ),
    );
    report.note("plan", upkeep.describe());
    report.exit_code()
}

/// `--check` for the ser2sock source.
pub(super) async fn check_tcp(
    address: &str,
    lake: &str,
    s3_endpoint: Option<&str>,
    upkeep: &Upkeep,
) -> ExitCode {
    let mut report = Report::default();
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
    match Lake::open(lake, s3_endpoint) {
        Ok(store) => check_store(&mut report, "lake", &store, "_alarmlake/check", false).await,
        Err(e) => report.fail("lake", format!("{lake}: {e}")),
    }
    report.note("plan", upkeep.describe());
    report.exit_code()
}
