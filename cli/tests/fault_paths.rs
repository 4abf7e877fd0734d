//! The consumer's fault paths, each produced by a fault proxy in front of kinesis-mock or moto
//! S3, and each checked record by record: nothing lost and nothing doubled in the latest
//! snapshot (and, where a takeover or a retried commit could do it, in no version of the log);
//! where the fault is permanent, the consumer stops with exit code 2 and says why.

mod support;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use support::exactly_once::{
    Filled, assert_exactly_once, assert_no_version_doubles_a_position, checkpoints, runtime,
    worker_args,
};
use support::fault_proxy::{Fault, FaultProxy, Rule};
use support::kinesis::{
    consume_command, consume_s3_command, generated_records, put_records, sigterm, status_and_log,
    test_client, wait_and_log,
};
use support::{S3Lake, credentials, run_ok};

const JSON: &str = "application/x-amz-json-1.1";

/// A proxy rule that only counts the requests `needle` matches.
fn counting(needle: &'static str) -> Rule {
    Rule {
        needle,
        every: u64::MAX,
        fault: Fault::Drop,
    }
}

/// The lake in `bucket` holds exactly `expected`, once, in its latest snapshot and in every
/// version of every table's log.
fn assert_bucket_holds(run: &Filled, bucket: &S3Lake, expected: &BTreeSet<(String, String)>) {
    let local = run.dir.path().join("copy");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
    assert_no_version_doubles_a_position(&local);
}

/// Waits until `done` holds, for at most `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// GetRecords answers ExpiredIteratorException now and then (an iterator is only good for five
/// minutes, so a reader stalled by a slow flush meets it). The reader asks for a new iterator
/// after the last record it read, so nothing is skipped and nothing read twice.
#[test]
fn an_expired_iterator_is_replaced_where_reading_stands() {
    let Some(run) = Filled::start("expired", 6, 2_000, 2) else {
        return;
    };
    let proxy = FaultProxy::start(
        run.endpoint.trim_start_matches("http://"),
        vec![
            Rule {
                needle: "Kinesis_20131202.GetRecords",
                every: 3,
                fault: Fault::Answer(
                    400,
                    JSON,
                    r#"{"__type":"ExpiredIteratorException","message":"Iterator expired. The iterator was created at time Sat Dec 06 10:00:00 UTC 2026 while right now it is Sat Dec 06 10:05:01 UTC 2026 which is further in the future than the tolerated delay of 300000 milliseconds."}"#,
                ),
            },
            counting("AFTER_SEQUENCE_NUMBER"),
        ],
    );
    let mut command = consume_command(
        &proxy.url,
        &run.stream,
        &run.lake,
        &["--drain", "--max-records-per-call", "100"],
    );
    command.env("RUST_LOG", "info,alarmlake_ingest::shard=debug");
    let output = run_ok(&mut command);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("iterator expired"), "{log}");
    let expired = proxy.counts.faults.load(Relaxed);
    let resumed = proxy.matched[1].load(Relaxed);
    assert!(expired >= 5, "only {expired} expiries injected");
    // Every expiry after the first page of a shard is replaced after its last record read.
    assert!(
        resumed + 2 >= expired,
        "{resumed} iterators after a sequence number for {expired} expiries"
    );
    assert_exactly_once(&run.lake, &run.expected);
}

/// S3 stores conditional PUTs (Delta commits with If-None-Match, checkpoints with If-Match) but
/// their answers are lost, so the retry meets its own write as a conflict. The commit is
/// recognised as this shard's own (its txn version is in the log), the checkpoint as a lease
/// that changed hands, and the shard is read on from where it truly stands.
#[test]
fn a_conditional_put_whose_answer_is_lost_is_neither_lost_nor_doubled() {
    let Some((run, bucket)) = Filled::on_s3("lostput", 6, 2_000) else {
        return;
    };
    let proxy = FaultProxy::start(
        bucket.endpoint.trim_start_matches("http://"),
        vec![
            Rule {
                needle: "if-none-match:",
                every: 3,
                fault: Fault::LoseAnswer,
            },
            Rule {
                needle: "if-match:",
                every: 4,
                fault: Fault::LoseAnswer,
            },
            counting("_delta_log/"),
        ],
    );
    let mut command = consume_s3_command(
        &run.endpoint,
        &proxy.url,
        &run.stream,
        &bucket.url(),
        &[
            "--drain",
            "--max-age-secs",
            "1",
            "--max-records-per-call",
            "200",
        ],
    );
    let (status, log) = status_and_log(&mut command, Duration::from_secs(240));
    assert!(status.success(), "{log}");
    let lost = proxy.counts.faults.load(Relaxed);
    assert!(
        lost >= 4 && proxy.matched[0].load(Relaxed) >= 6 && proxy.matched[1].load(Relaxed) >= 4,
        "lost answers {lost}, conditional creates {}, updates {}",
        proxy.matched[0].load(Relaxed),
        proxy.matched[1].load(Relaxed)
    );

    let local = run.dir.path().join("copy");
    bucket.download(&local);
    assert_exactly_once(&local, &run.expected);
    let versions = assert_no_version_doubles_a_position(&local);
    assert!(versions >= 4, "{versions} versions");
    for checkpoint in checkpoints(&local, &run.stream).values() {
        assert!(checkpoint["intent"].is_null(), "{checkpoint}");
    }
}

/// S3 requests time out (`AWS_TIMEOUT=1s`) while the proxy holds every fourth PUT and every
/// delete for 3 s, and then forwards it anyway: the write lands after its caller gave up. A
/// consumer, then a compaction (whose lock is released with a DELETE) and a second one, all
/// finish; the lake holds every record once in every version.
#[test]
fn s3_timeouts_on_put_and_delete_lose_nothing() {
    let Some((run, bucket)) = Filled::on_s3("timeouts", 6, 2_000) else {
        return;
    };
    let late = Fault::Delay(Duration::from_secs(3));
    let proxy = FaultProxy::start(
        bucket.endpoint.trim_start_matches("http://"),
        vec![
            Rule {
                needle: "PUT /",
                every: 4,
                fault: late,
            },
            // object_store deletes with DeleteObjects (`POST /?delete`), even one object.
            Rule {
                needle: "?delete",
                every: 1,
                fault: late,
            },
        ],
    );
    let mut command = consume_s3_command(
        &run.endpoint,
        &proxy.url,
        &run.stream,
        &bucket.url(),
        &["--drain", "--max-age-secs", "1"],
    );
    command.env("AWS_TIMEOUT", "1s");
    let (status, log) = status_and_log(&mut command, Duration::from_secs(240));
    assert!(status.success(), "{log}");
    // Conditional writes that timed out were sent again and settled (confirmed_puts.rs).
    assert!(
        log.contains("outcome is unknown; sending it again"),
        "no conditional write timed out: {log}"
    );

    for round in 0..2 {
        let mut compact = std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"));
        credentials(&mut compact)
            .args([
                "compact",
                "--lake",
                &bucket.url(),
                "--s3-endpoint",
                &proxy.url,
            ])
            .args(["--older-than", "1h"])
            .env("AWS_TIMEOUT", "1s")
            .env("RUST_LOG", "info");
        let (status, log) = status_and_log(&mut compact, Duration::from_secs(240));
        assert!(status.success(), "compaction {round}: {log}");
    }
    let deletes = proxy.matched[1].load(Relaxed);
    assert!(deletes >= 1, "no delete was held");

    assert_bucket_holds(&run, &bucket, &run.expected);
}

/// Worker a's data-file PUTs take 8 s, longer than its 3 s lease, so its lease lapses in the
/// middle of a flush: worker b (whose share of the one shard is that shard) takes it, settles
/// a's intent and reads the records again. a's files land late under names of their own, and
/// its commit is refused; no version of any table's log ever shows a record twice.
#[test]
fn a_lease_that_lapses_in_the_middle_of_a_flush_is_fenced() {
    let Some(run) = Filled::start("lapse", 6, 2_000, 1) else {
        return;
    };
    let Some(bucket) = S3Lake::create("lapse") else {
        return;
    };
    let slow = FaultProxy::start(
        bucket.endpoint.trim_start_matches("http://"),
        vec![Rule {
            needle: ".parquet HTTP/1.1",
            every: 1,
            fault: Fault::Delay(Duration::from_secs(8)),
        }],
    );
    let mut a = consume_s3_command(
        &run.endpoint,
        &slow.url,
        &run.stream,
        &bucket.url(),
        &[&["--drain"], &worker_args("a", "3")[..]].concat(),
    );
    let mut a = a
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // b starts once a holds leases and has a flush under way.
    wait_for(Duration::from_secs(60), "a's first data-file PUT", || {
        slow.counts.faults.load(Relaxed) >= 1
    });
    // b runs until a is done: a drain would leave a shard whose holder is alive to it.
    let mut b = consume_s3_command(
        &run.endpoint,
        &bucket.endpoint,
        &run.stream,
        &bucket.url(),
        &worker_args("b", "3"),
    )
    .env("RUST_LOG", "info")
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (a_status, a_log) = wait_and_log(&mut a, Duration::from_secs(240));
    assert!(a_status.success(), "{a_log}");
    sigterm(&b);
    let (b_status, b_log) = wait_and_log(&mut b, Duration::from_secs(120));
    assert!(b_status.success(), "{b_log}");
    assert!(
        a_log.contains("another worker took this shard"),
        "a was never fenced: {a_log}\nb: {b_log}"
    );
    // Whatever b had not read yet, a last drain reads.
    let (status, log) = status_and_log(
        &mut consume_s3_command(
            &run.endpoint,
            &bucket.endpoint,
            &run.stream,
            &bucket.url(),
            &["--drain"],
        ),
        Duration::from_secs(240),
    );
    assert!(status.success(), "{log}");

    assert_bucket_holds(&run, &bucket, &run.expected);
}

/// The lake's bucket starts refusing every PUT (AccessDenied: a policy or a KMS key changed)
/// while the consumer runs. After a few retries and reader restarts it stops with exit code 2
/// and the reason; restarted once access is back, it commits everything, the records put after
/// the refusal included, exactly once.
#[test]
fn access_denied_mid_run_stops_with_the_reason_and_a_restart_resumes() {
    let Some((run, bucket)) = Filled::on_s3("denied", 6, 2_000) else {
        return;
    };
    let proxy = FaultProxy::start(
        bucket.endpoint.trim_start_matches("http://"),
        vec![counting("_delta_log/")],
    );
    let mut consumer = consume_s3_command(
        &run.endpoint,
        &proxy.url,
        &run.stream,
        &bucket.url(),
        &worker_args("w", "4"),
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for(Duration::from_secs(90), "a first commit", || {
        proxy.matched[0].load(Relaxed) >= 1
    });
    proxy.switch(Some(Rule {
        needle: "PUT /",
        every: 1,
        fault: Fault::Answer(
            403,
            "application/xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        ),
    }));
    // Records that arrive while the lake refuses them.
    let more = generated_records(3, 300);
    let mut expected = run.expected.clone();
    expected.extend(runtime().block_on(put_records(
        &test_client(&run.endpoint),
        &run.stream,
        &more,
    )));

    let (status, log) = wait_and_log(&mut consumer, Duration::from_secs(180));
    assert_eq!(status.code(), Some(2), "{log}");
    let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        last.starts_with("error: stopped: the lake's store: access refused"),
        "{last}"
    );

    proxy.switch(None);
    let mut again = consume_s3_command(
        &run.endpoint,
        &proxy.url,
        &run.stream,
        &bucket.url(),
        &["--drain", "--worker-id", "w"],
    );
    let (status, log) = status_and_log(&mut again, Duration::from_secs(240));
    assert!(status.success(), "{log}");
    assert_bucket_holds(&run, &bucket, &expected);
}

/// Kinesis starts answering KMSDisabledException (the stream's encryption key was disabled)
/// mid-run: the readers cannot go on, and the consumer stops with exit code 2 naming it.
/// Nothing uncommitted was checkpointed, so a restart reads on from the last commit.
#[test]
fn a_kms_key_disabled_mid_run_stops_the_consumer_with_the_reason() {
    let Some(run) = Filled::start("kms", 4, 600, 2) else {
        return;
    };
    let proxy = FaultProxy::start(run.endpoint.trim_start_matches("http://"), vec![]);
    let mut command = consume_command(&proxy.url, &run.stream, &run.lake, &["--max-age-secs", "1"]);
    let mut consumer = command.stderr(Stdio::piped()).spawn().unwrap();
    wait_for(Duration::from_secs(90), "a first commit", || {
        run.lake.join("alarm_events/_delta_log").exists()
    });
    proxy.switch(Some(Rule {
        needle: "Kinesis_20131202.GetRecords",
        every: 1,
        fault: Fault::Answer(
            400,
            JSON,
            r#"{"__type":"KMSDisabledException","message":"The request was rejected because the specified customer master key (CMK) is disabled."}"#,
        ),
    }));
    let (status, log) = wait_and_log(&mut consumer, Duration::from_secs(120));
    assert_eq!(status.code(), Some(2), "{log}");
    let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(
        last.starts_with("error: stopped: Kinesis refused GetRecords")
            && last.contains("KMSDisabledException"),
        "{last}"
    );

    proxy.switch(None);
    run_ok(&mut consume_command(
        &proxy.url,
        &run.stream,
        &run.lake,
        &["--drain"],
    ));
    assert_exactly_once(&run.lake, &run.expected);
}
