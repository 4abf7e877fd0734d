//! Running the consumer as a service: `consume --check` against kinesis-mock and moto (it
//! passes on a working set-up, says what would resume, writes nothing, and names what fails),
//! and the lake upkeep scheduled inside `consume` (compaction and retention while it runs).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use chrono::{DateTime, TimeZone, Utc};
use support::kinesis::{
    consume_command, endpoint, put_stream, sigterm, status_and_log, wait_with_timeout,
};
use support::{S3Lake, committed_files, credentials, run_ok, sql_csv, stdout_of, unique};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The first `count` generated AlarmDecoder lines of 2026-11-20, under partition keys that
/// spread them over the shards.
fn records(count: usize) -> Vec<(String, Vec<u8>)> {
    let config = GeneratorConfig {
        homes: 1,
        days: 1,
        seed: 9,
        format: Format::Json,
        start: Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
    };
    let mut bytes = Vec::new();
    write_all(&config, &mut bytes).unwrap();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .take(count)
        .enumerate()
        .map(|(i, line)| (format!("key-{i}"), line.as_bytes().to_vec()))
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `consume MODE` (`--check`, `--drain`) on `lake`, with the S3 endpoint of `s3`.
fn consume(mode: &str, kinesis: &str, s3: &S3Lake, stream: &str, lake: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command).args([
        "consume",
        mode,
        "--stream",
        stream,
        "--kinesis-endpoint",
        kinesis,
        "--s3-endpoint",
        &s3.endpoint,
        "--lake",
        lake,
    ]);
    command
}

/// `consume --check` on an S3 lake.
fn check(kinesis: &str, s3: &S3Lake, stream: &str, lake: &str, extra: &[&str]) -> Output {
    let mut command = consume("--check", kinesis, s3, stream, lake);
    command.args(extra).output().unwrap()
}

/// `consume --drain` into `lake`.
fn drain(kinesis: &str, s3: &S3Lake, stream: &str, lake: &str) -> Command {
    consume("--drain", kinesis, s3, stream, lake)
}

#[test]
fn check_passes_on_a_working_set_up_writes_nothing_and_names_what_fails() {
    let Some(kinesis) = endpoint() else { return };
    let Some(s3) = S3Lake::create("check") else {
        return;
    };
    let stream = unique("check");
    runtime().block_on(put_stream(&kinesis, &stream, 2, &records(30)));
    let lake = s3.url();

    let output = check(
        &kinesis,
        &s3,
        &stream,
        &lake,
        &[
            "--metrics-addr",
            "127.0.0.1:0",
            "--compact-every",
            "1h",
            "--retain",
            "30d",
        ],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for expected in [
        "ok    kinesis",
        "2 open shards",
        "conditional writes are honoured",
        "0 of 2 shards have a checkpoint",
        "ok    metrics",
        "compaction every 1h",
        "retention of 30d",
        "all checks passed",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(s3.keys().is_empty(), "the check left {:?}", s3.keys());

    // After a run, the check sees where each shard would resume.
    run_ok(&mut drain(&kinesis, &s3, &stream, &lake));
    let text = stdout(&check(&kinesis, &s3, &stream, &lake, &[]));
    assert!(text.contains("2 of 2 shards have a checkpoint"), "{text}");
    assert!(text.contains("2 resume from a checkpoint"), "{text}");

    // What fails is named, and the exit code says the consumer would not run.
    let output = check(&kinesis, &s3, "no-such-stream", &lake, &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("FAIL  kinesis") && text.contains("no-such-stream"),
        "{text}"
    );
    let output = check(
        &kinesis,
        &s3,
        &stream,
        "s3://no-such-bucket-alarmlake/lake",
        &[],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("FAIL  lake"), "{text}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = check(&kinesis, &s3, &stream, &lake, &["--metrics-addr", &addr]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("FAIL  metrics"));

    // Settings are validated before anything is reached.
    let output = check(&kinesis, &s3, &stream, &lake, &["--retain", "10m"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--retain must be at least 1h"));
}

/// A lake whose bucket does not exist stops the consumer at start with a clear error and a
/// non-zero exit. It used to retry taking leases in that bucket for ever, even in drain mode;
/// the wait below turns that back into a failure.
#[test]
fn a_missing_lake_bucket_stops_the_consumer_at_start() {
    let Some(kinesis) = endpoint() else { return };
    let Some(s3) = S3Lake::create("nobucket") else {
        return;
    };
    let stream = unique("nobucket");
    runtime().block_on(put_stream(&kinesis, &stream, 1, &records(5)));
    let (status, log) = status_and_log(
        &mut drain(&kinesis, &s3, &stream, "s3://no-such-bucket-alarmlake/lake"),
        Duration::from_secs(60),
    );
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(
        log.contains(
            "cannot write to lake s3://no-such-bucket-alarmlake/lake: the bucket does not exist"
        ),
        "{log}"
    );

    // The same consumer on the bucket that exists reads the stream.
    let output = run_ok(&mut drain(&kinesis, &s3, &stream, &s3.url()));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("consumed 5 records"), "{log}");
}

/// A day of one home from `start`, ingested in files of at most 100 rows.
fn fill(dir: &Path, lake: &Path, start: DateTime<Utc>) {
    let config = GeneratorConfig {
        homes: 1,
        days: 1,
        seed: 3,
        format: Format::Json,
        start,
    };
    let mut bytes = Vec::new();
    write_all(&config, &mut bytes).unwrap();
    let input = dir.join(format!("{}.ndjson", start.timestamp()));
    std::fs::write(&input, &bytes).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    run_ok(
        command
            .args([
                "ingest-file",
                "--no-progress",
                "--max-rows",
                "100",
                "--lake",
            ])
            .arg(lake)
            .arg(&input),
    );
}

/// Committed files per `date=` folder of alarm_events (what its Delta log holds).
fn files_per_day(lake: &Path) -> std::collections::BTreeMap<String, usize> {
    let mut days = std::collections::BTreeMap::new();
    let table = lake.join("alarm_events");
    for file in committed_files(lake) {
        let Ok(relative) = file.strip_prefix(&table) else {
            continue;
        };
        if let Some(day) = relative.iter().next() {
            *days.entry(day.to_string_lossy().into_owned()).or_insert(0) += 1;
        }
    }
    days
}

fn count_rows(lake: &Path, date: &str) -> String {
    let csv = stdout_of(&mut sql_csv(
        lake,
        &format!("SELECT count(*) FROM alarm_events WHERE date = '{date}'"),
    ));
    csv.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn consume_compacts_and_applies_retention_on_its_schedule() {
    let Some(kinesis) = endpoint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let old = Utc.with_ymd_and_hms(2024, 1, 10, 0, 0, 0).unwrap();
    // Two days ago: closed, and within scheduled compaction's look-back of three days.
    let recent = (Utc::now() - chrono::Duration::days(2))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    fill(dir.path(), &lake, old);
    fill(dir.path(), &lake, recent);
    let recent_day = recent.format("date=%Y-%m-%d").to_string();
    let before = files_per_day(&lake);
    assert!(before[&recent_day] > 24, "{before:?}");
    let rows_before = count_rows(&lake, &recent.format("%Y-%m-%d").to_string());

    let stream = unique("upkeep");
    runtime().block_on(put_stream(&kinesis, &stream, 1, &records(20)));
    let mut child = consume_command(
        &kinesis,
        &stream,
        &lake,
        &[
            "--compact-every",
            "2s",
            "--retain",
            "365d",
            "--max-age-secs",
            "1",
        ],
    )
    .stderr(std::fs::File::create(dir.path().join("consume.log")).unwrap())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = |days: &std::collections::BTreeMap<String, usize>| {
        !days.contains_key("date=2024-01-10") && days.get(&recent_day).is_some_and(|n| *n <= 24)
    };
    let read_log = || std::fs::read_to_string(dir.path().join("consume.log")).unwrap_or_default();
    // The last partition's commit makes the lake look done a moment before the compaction run
    // ends and says so: wait for both.
    let logged = |log: &str| log.contains("compaction done") && log.contains("retention: removed");
    while !(done(&files_per_day(&lake)) && logged(&read_log())) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    sigterm(&child);
    let status = wait_with_timeout(&mut child, Duration::from_secs(30));
    let log = read_log();
    assert!(status.success(), "{log}");
    let after = files_per_day(&lake);
    assert!(done(&after), "before {before:?}, after {after:?}\n{log}");
    assert!(logged(&log), "{log}");
    assert_eq!(
        count_rows(&lake, &recent.format("%Y-%m-%d").to_string()),
        rows_before
    );
    // The consumer's own records arrived too, each once.
    let csv = stdout_of(&mut sql_csv(
        &lake,
        &format!(
            "SELECT count(DISTINCT sequence_number) FROM (SELECT sequence_number FROM alarm_events WHERE stream = '{stream}' \
             UNION ALL SELECT sequence_number FROM dead_letters WHERE stream = '{stream}')"
        ),
    ));
    assert_eq!(csv.lines().nth(1), Some("20"), "{csv}");
}
