//! `alarmlake consume` against kinesis-mock (started by scripts/emulators.sh): every record put
//! into the stream is in the lake exactly once, after a clean run, a graceful restart, and
//! repeated kill -9. Positions are compared one by one, not just counted.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use support::exactly_once::{
    Filled, assert_exactly_once, assert_no_version_doubles_a_position, checkpoints, lake_positions,
    runtime, worker_args,
};
use support::fault_proxy::{Fault, FaultProxy, Rule};
use support::kinesis::{
    consume_command, consume_s3_command, endpoint, generated_records as lines, kill_after,
    put_records, put_stream, sigterm, status_and_log, test_client, wait_active, wait_with_timeout,
};
use support::{
    S3Lake, committed_files, credentials, http_get, kill_schedule, lake_check, parquet_files,
    run_ok, sql_csv, unique,
};

/// One `consume --drain` run, which must succeed; returns its log.
fn drain(endpoint: &str, stream: &str, lake: &Path) -> String {
    let output = run_ok(&mut consume_command(endpoint, stream, lake, &["--drain"]));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_clean_run_puts_every_record_in_the_lake_once() {
    let Some(run) = Filled::start("clean", 6, 5_000, 4) else {
        return;
    };
    let (endpoint, stream, expected, _, lake) = run.parts();
    let log = drain(endpoint, stream, lake);
    assert!(log.contains("consumed 5000 records from 4 shards"), "{log}");
    assert_exactly_once(lake, expected);

    // DuckDB reads the same files and counts the same rows.
    if let Ok(python) = std::env::var("ALARMLAKE_TEST_PYTHON") {
        let counts =
            run_ok(Command::new(python).args([&lake_check(), "counts", lake.to_str().unwrap()]));
        let counts: serde_json::Value = serde_json::from_slice(&counts.stdout).unwrap();
        let total: u64 = counts["counts"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|partitions| partitions.as_object().unwrap().values())
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(total, 5_000, "{counts}");
    }
    // Every shard's checkpoint is at its last record.
    let committed = checkpoints(lake, stream);
    assert_eq!(committed.len(), 4);
    for (shard, checkpoint) in committed {
        let last = expected
            .iter()
            .filter(|(s, _)| *s == shard)
            .map(|(_, q)| q.clone())
            .max_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        assert_eq!(checkpoint["sequence_number"].as_str(), last.as_deref());
        assert!(checkpoint["intent"].is_null());
        // The drain's last commit released the lease in the same write.
        assert!(checkpoint["lease"].is_null(), "{shard}: {checkpoint}");
        let records = expected.iter().filter(|(s, _)| *s == shard).count();
        assert_eq!(
            checkpoint["records"].as_u64(),
            Some(records as u64),
            "{shard}"
        );
    }
}

#[test]
fn a_restart_after_sigterm_neither_loses_nor_doubles() {
    let Some(run) = Filled::start("restart", 6, 4_000, 2) else {
        return;
    };
    let (endpoint, stream, expected, dir, lake) = run.parts();
    // Commit every second, stop after the first commits, then finish with a second run.
    let log_file = dir.join("consume.log");
    let mut child = consume_command(
        endpoint,
        stream,
        lake,
        &["--max-age-secs", "1", "--metrics-addr", "127.0.0.1:0"],
    )
    .stderr(std::fs::File::create(&log_file).unwrap())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lake
        .join("_alarmlake/checkpoints/alarmlake")
        .join(stream)
        .exists()
        || checkpoints(lake, stream)
            .values()
            .all(|c| c["sequence_number"].is_null())
    {
        assert!(Instant::now() < deadline, "no commit within a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The metrics endpoint answers while it runs.
    let log = std::fs::read_to_string(&log_file).unwrap();
    let address = log
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the metrics address is logged")
        .to_string();
    let metrics = http_get(&address, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for name in [
        "alarmlake_records_total{shard=\"shardId-000000000000\"}",
        "alarmlake_millis_behind_latest",
        "alarmlake_event_to_durable_seconds_bucket",
        "alarmlake_commits_total",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
    assert!(http_get(&address, "/healthz").ends_with("ok\n"));
    sigterm(&child);
    let status = wait_with_timeout(&mut child, Duration::from_secs(60));
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    // After a graceful stop, each checkpoint is exactly the last position in the lake.
    let found = lake_positions(lake);
    for (shard, checkpoint) in checkpoints(lake, stream) {
        assert!(checkpoint["intent"].is_null(), "no batch left open");
        assert!(
            checkpoint["lease"].is_null(),
            "the lease is released: {checkpoint}"
        );
        let last_in_lake = found
            .keys()
            .filter(|(s, _)| *s == shard)
            .map(|(_, q)| q.clone())
            .max_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
        assert_eq!(
            checkpoint["sequence_number"].as_str(),
            last_in_lake.as_deref()
        );
    }
    drain(endpoint, stream, lake);
    assert_exactly_once(lake, expected);
}

#[test]
fn kill_9_at_random_points_then_restart_is_exactly_once() {
    let Some(run) = Filled::start("kill9", 8, 6_000, 4) else {
        return;
    };
    let (endpoint, stream, expected, dir, lake) = run.parts();
    // Small reads and a commit after each (tiny target size), so that the run takes several
    // seconds and kills land between intent, files and commit. The read size changes from
    // round to round, so a batch read again after a kill ends elsewhere and its files get other
    // names: only the recovery's deletes keep them from doubling rows.
    let mut kills = 0;
    let mut recoveries = 0;
    for round in 0..6u64 {
        let log = dir.join(format!("round-{round}.log"));
        let per_call = (30 + round * 11).to_string();
        let args = [
            "--max-age-secs",
            "1",
            "--target-mb",
            "0",
            "--max-records-per-call",
            &per_call,
        ];
        let mut command = consume_command(endpoint, stream, lake, &args);
        if round % 2 == 1 {
            // Odd rounds hold each batch between its files and its commit: a kill there leaves
            // files the checkpoint does not cover, which the restart must delete.
            command.env("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS", "400");
        }
        // A different moment in each round: between 0.6 and 2.6 s.
        let wait = |pid| Duration::from_millis(600 + (round * 7919 + u64::from(pid) * 31) % 2000);
        kills += usize::from(kill_after(&mut command, &log, wait));
        recoveries += std::fs::read_to_string(&log)
            .unwrap()
            .matches("interrupted before its commit")
            .count();
    }
    assert!(kills >= 5, "the consumer was killed {kills} times");
    let open = checkpoints(lake, stream)
        .values()
        .filter(|c| !c["intent"].is_null())
        .count();
    assert!(
        recoveries + open > 0,
        "some kill landed inside a batch (recovered {recoveries}, open {open})"
    );
    eprintln!("{kills} kills; {recoveries} interrupted batches recovered, {open} open at the end");
    drain(endpoint, stream, lake);
    assert_exactly_once(lake, expected);
}

/// A worker paused (SIGSTOP) between its files and its Delta commit loses its lease; another
/// worker settles that flush (fences it), reads the records again and commits them. Resumed
/// (SIGCONT), the first worker's commit is refused: no row is ever visible twice, and a later
/// vacuum deletes its files.
#[test]
fn a_paused_worker_cannot_publish_after_another_took_its_shard() {
    let Some(run) = Filled::start("zombie", 2, 300, 1) else {
        return;
    };
    let Some(bucket) = S3Lake::create("zombie") else {
        return;
    };
    let (endpoint, stream, expected, dir, lake) = run.parts();
    // Two workers share checkpoints and leases through S3 (a local checkpoint folder admits
    // one consumer); the lake is a local folder both commit to.
    let checkpoints = format!("{}/checkpoints", bucket.url());
    let worker = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "--checkpoints",
            &checkpoints,
            "--s3-endpoint",
            &bucket.endpoint,
        ];
        args.extend(worker_args(name, "3"));
        args.extend_from_slice(extra);
        let mut command = consume_command(endpoint, stream, lake, &args);
        command.stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap());
        command
    };
    let log = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
    let signal = |child: &std::process::Child, name: &str| {
        let status = Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let first_flush = || -> Vec<PathBuf> {
        if !lake.exists() {
            return Vec::new();
        }
        parquet_files(lake)
            .into_iter()
            .filter(|f| f.to_string_lossy().ends_with("-v1.parquet"))
            .collect()
    };

    // Worker a holds each flush for 5 s between its files and its commit; stop it there.
    let mut a = worker("a", &[])
        .env("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS", "5000")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while first_flush().is_empty() {
        assert!(Instant::now() < deadline, "a wrote nothing: {}", log("a"));
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&a, "-STOP");
    let zombie = first_flush();
    assert!(committed_files(lake).iter().all(|f| !zombie.contains(f)));

    // Its lease lapses; b takes the shard, fences a's flush, and reads everything.
    std::thread::sleep(Duration::from_millis(3500));
    let b = worker("b", &["--drain"]).status().unwrap();
    assert!(b.success(), "{}", log("b"));
    assert!(log("b").contains("fenced"), "{}", log("b"));
    assert_exactly_once(lake, expected);

    // a wakes up inside its pause and commits: refused.
    signal(&a, "-CONT");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !log("a").contains("is refused") {
        assert!(Instant::now() < deadline, "a was not refused: {}", log("a"));
        std::thread::sleep(Duration::from_millis(100));
    }
    sigterm(&a);
    wait_with_timeout(&mut a, Duration::from_secs(30));
    assert_exactly_once(lake, expected);
    let committed = committed_files(lake);
    assert!(zombie.iter().all(|f| f.exists() && !committed.contains(f)));

    // Vacuum deletes them once they are older than its window; the lake still holds
    // everything once.
    for file in &zombie {
        let handle = std::fs::File::options().write(true).open(file).unwrap();
        handle
            .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 86_400))
            .unwrap();
    }
    let mut vacuum = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    let out = run_ok(
        vacuum
            .args(["lake", "vacuum", "--retain", "1d", "--lake"])
            .arg(lake),
    );
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(zombie.iter().all(|f| !f.exists()), "{out}");
    assert_exactly_once(lake, expected);
}

/// Two workers on 8 shards with the lake and the checkpoints on S3, killed with SIGKILL at
/// random moments (worker a every round, worker b every third), each restarted, so that the
/// survivor takes over the dead one's leases again and again. After catch-up the latest
/// snapshot holds every record once, and no version of any table's log ever referenced a
/// stream position twice. `ALARMLAKE_KILL_RECORDS` sets the record count (CI: 20,000).
#[test]
fn two_workers_killed_over_and_over_on_s3_never_show_a_row_twice() {
    let records: usize = std::env::var("ALARMLAKE_KILL_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    // One home per 2,500 records (8 at CI size), so every shard gets a share at benchmark size.
    let homes = (records / 2_500).max(8);
    let Some(run) = Filled::start("killmany", homes, records, 8) else {
        return;
    };
    let Some(bucket) = S3Lake::create("killmany") else {
        return;
    };
    let (endpoint, stream, expected, dir, _) = run.parts();
    let log_of = |name: &str, round: usize| dir.join(format!("{name}-{round}.log"));
    let start = |name: &str, round: usize, extra: &[&str]| {
        let worker = SharedWorker {
            name,
            lease_secs: "3",
            per_call: "250",
        };
        let mut command = worker.command(endpoint, &bucket, stream, &log_of(name, round), extra);
        if round % 2 == 1 {
            // Hold some flushes between their files and their commit, where a kill hurts most.
            command.env("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS", "300");
        }
        command.spawn().unwrap()
    };
    let mut next = kill_schedule();
    let mut a = start("a", 0, &[]);
    let mut b = start("b", 0, &[]);
    let (mut kills, mut takeovers) = (0, 0);
    for round in 1..=16 {
        std::thread::sleep(Duration::from_millis(400 + next() % 1600));
        for (name, child, every) in [("a", &mut a, 1), ("b", &mut b, 3)] {
            if round % every != 0 {
                continue;
            }
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            // The survivor takes the dead worker's shards once their leases lapse.
            if round % 4 == 0 {
                std::thread::sleep(Duration::from_millis(3500));
                takeovers += 1;
            }
            *child = start(name, round, &[]);
        }
    }
    a.kill().ok();
    b.kill().ok();
    a.wait().unwrap();
    b.wait().unwrap();
    kills += 2;
    assert!(kills >= 20, "only {kills} kills");
    assert!(takeovers >= 5, "only {takeovers} takeovers");
    let logs: String = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension().is_some_and(|x| x == "log"))
                .then(|| std::fs::read_to_string(path).unwrap())
        })
        .collect();
    let settled = logs.matches("interrupted before its commit").count()
        + logs.matches("had begun its commit").count();
    eprintln!("{kills} kills, {takeovers} takeovers, {settled} interrupted flushes settled");

    // Catch up once the dead workers' heartbeats and leases have lapsed (a drain leaves a
    // shard to a worker it believes alive), then check the latest snapshot and every version
    // before it.
    std::thread::sleep(Duration::from_secs(7));
    let mut last = start("c", 0, &["--drain"]);
    // Five minutes for CI's 20,000 records; the benchmark's larger streams get longer, since
    // kinesis-mock's reads slow down as a stream grows.
    let deadline = Instant::now() + Duration::from_secs(300.max(records as u64 / 100));
    while last.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            last.kill().ok();
            let log = std::fs::read_to_string(log_of("c", 0)).unwrap();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!("the catch-up did not finish:\n{}", tail.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        last.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(log_of("c", 0)).unwrap()
    );
    let local = dir.join("copy");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
    let versions = assert_no_version_doubles_a_position(&local);
    assert!(versions > 5, "only {versions} versions");
}

/// Rows of the lake as (partition key, shard, ingest time), for ordering checks.
fn lake_rows_by_key(lake: &Path) -> Vec<(String, String, String)> {
    let sql = "SELECT partition_key, shard_id, CAST(ingest_time AS VARCHAR) FROM alarm_events \
               UNION ALL SELECT partition_key, shard_id, CAST(ingest_time AS VARCHAR) FROM mode_events \
               UNION ALL SELECT partition_key, shard_id, CAST(ingest_time AS VARCHAR) FROM camera_media";
    let output = run_ok(&mut sql_csv(lake, sql));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.splitn(3, ',');
            let mut next = || fields.next().unwrap_or_default().to_string();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn splits_and_merges_while_running_lose_nothing_and_read_parents_first() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("reshard");
    let records = lines(8, 4_500);
    let (before, rest) = records.split_at(2_000);
    let (after_split, after_merge) = rest.split_at(1_500);
    let rt = runtime();
    let mut expected = rt.block_on(put_stream(&endpoint, &stream, 2, before));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let mut child = consume_command(&endpoint, &stream, &lake, &["--max-age-secs", "1"])
        .stderr(std::fs::File::create(dir.path().join("consume.log")).unwrap())
        .spawn()
        .unwrap();
    // Split both shards while the consumer runs and write into the children; then merge them
    // back to two and write into those.
    std::thread::sleep(Duration::from_millis(1500));
    for (shards, records) in [(4, after_split), (2, after_merge)] {
        expected.extend(rt.block_on(async {
            let client = test_client(&endpoint);
            client
                .update_shard_count()
                .stream_name(&stream)
                .target_shard_count(shards)
                .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
                .send()
                .await
                .unwrap();
            wait_active(&client, &stream).await;
            put_records(&client, &stream, records).await
        }));
        std::thread::sleep(Duration::from_millis(1000));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while lake_positions_count(&lake) < expected.len() {
        assert!(
            Instant::now() < deadline,
            "not everything arrived: {}",
            std::fs::read_to_string(dir.path().join("consume.log")).unwrap()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    sigterm(&child);
    assert!(wait_with_timeout(&mut child, Duration::from_secs(60)).success());
    assert_exactly_once(&lake, &expected);

    // Each home's records in the parents were committed before any in the children.
    let parents = ["shardId-000000000000", "shardId-000000000001"];
    let mut last_parent: BTreeMap<String, String> = BTreeMap::new();
    let mut first_child: BTreeMap<String, String> = BTreeMap::new();
    for (key, shard, ingested) in lake_rows_by_key(&lake) {
        if parents.contains(&shard.as_str()) {
            let entry = last_parent.entry(key).or_default();
            if ingested > *entry {
                *entry = ingested;
            }
        } else {
            let entry = first_child.entry(key).or_insert_with(|| ingested.clone());
            if ingested < *entry {
                *entry = ingested;
            }
        }
    }
    assert!(!first_child.is_empty(), "the children were read");
    for (key, first) in &first_child {
        if let Some(last) = last_parent.get(key) {
            assert!(
                last <= first,
                "{key}: parent row at {last} after child row at {first}"
            );
        }
    }
}

fn lake_positions_count(lake: &Path) -> usize {
    if !lake.join("alarm_events").exists() {
        return 0;
    }
    lake_positions(lake).len()
}

/// Kinesis throttles, fails with 5xx, drops connections and answers too slowly; S3 answers
/// SlowDown and drops connections. The consumer (lake and checkpoints on S3, with conditional
/// writes) backs off, retries, and still puts every record in the lake exactly once.
#[test]
fn throttling_5xx_drops_and_timeouts_lose_nothing() {
    let Some((run, bucket)) = Filled::on_s3("faults", 6, 3_000) else {
        return;
    };
    let (endpoint, stream, expected, _, _) = run.parts();
    let s3 = &bucket.endpoint;

    let json = "application/x-amz-json-1.1";
    let kinesis_proxy = FaultProxy::start(
        endpoint.trim_start_matches("http://"),
        vec![
            Rule {
                needle: "Kinesis_20131202.GetRecords",
                every: 5,
                fault: Fault::Answer(
                    400,
                    json,
                    r#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}"#,
                ),
            },
            Rule {
                needle: "Kinesis_20131202.GetRecords",
                every: 7,
                fault: Fault::Answer(
                    500,
                    json,
                    r#"{"__type":"InternalFailure","message":"injected"}"#,
                ),
            },
            Rule {
                needle: "Kinesis_20131202",
                every: 11,
                fault: Fault::Drop,
            },
            Rule {
                needle: "Kinesis_20131202.GetRecords",
                every: 13,
                fault: Fault::Delay(Duration::from_secs(4)),
            },
        ],
    );
    let s3_proxy = FaultProxy::start(
        s3.trim_start_matches("http://"),
        vec![
            Rule {
                needle: "PUT /",
                every: 4,
                fault: Fault::Answer(
                    503,
                    "application/xml",
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                ),
            },
            Rule {
                needle: "GET /",
                every: 6,
                fault: Fault::Drop,
            },
        ],
    );
    let mut command = consume_s3_command(
        &kinesis_proxy.url,
        &s3_proxy.url,
        stream,
        &bucket.url(),
        &[
            "--drain",
            "--max-age-secs",
            "1",
            "--max-records-per-call",
            "100",
            "--kinesis-timeout-secs",
            "2",
        ],
    );
    let output = run_ok(&mut command);
    let log = String::from_utf8_lossy(&output.stderr);
    // Throttling reaches the reader's backoff; 5xx answers, drops and timeouts are mostly
    // retried inside the SDK and object_store first, which is fine as long as nothing is lost.
    assert!(log.contains("backing off"), "the readers backed off: {log}");
    eprintln!(
        "{}",
        log.lines()
            .filter(|l| l.contains("backing off") || l.contains("retrying"))
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let (k_faults, s_faults) = (
        kinesis_proxy.counts.faults.load(Relaxed),
        s3_proxy.counts.faults.load(Relaxed),
    );
    assert!(
        k_faults >= 10 && s_faults >= 5,
        "faults injected: Kinesis {k_faults}, S3 {s_faults}"
    );

    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("lake");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
    // The checkpoints live in the lake's bucket, one per shard, with no batch left open and
    // every lease released.
    let committed = checkpoints(&local, stream);
    assert_eq!(committed.len(), 4);
    for checkpoint in committed.values() {
        assert!(
            checkpoint["intent"].is_null() && checkpoint["lease"].is_null(),
            "{checkpoint}"
        );
    }
}

/// Two workers share a stream through leases in the lake's bucket; one is killed, and the
/// other takes its shards over when the leases lapse. Nothing is missing or doubled.
#[test]
fn two_workers_share_the_shards_and_one_takes_over_from_the_other() {
    let Some((run, bucket)) = Filled::on_s3("workers", 8, 4_000) else {
        return;
    };
    let (endpoint, stream, expected, dir, _) = run.parts();
    let worker = |name: &str| {
        let worker = SharedWorker {
            name,
            lease_secs: "4",
            per_call: "15",
        };
        let log = dir.join(format!("{name}.log"));
        worker
            .command(endpoint, &bucket, stream, &log, &[])
            .spawn()
            .unwrap()
    };
    let log = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
    let shards_read = |name: &str| log(name).matches("reading shard").count();
    let mut a = worker("a");
    let mut b = worker("b");
    // Both get a share of the four shards.
    let deadline = Instant::now() + Duration::from_secs(60);
    while shards_read("a") == 0 || shards_read("b") == 0 {
        assert!(
            Instant::now() < deadline,
            "the shards were not shared:\na: {}\nb: {}",
            log("a"),
            log("b")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(log("a").contains("handing the shard to another worker") || shards_read("a") <= 3);
    // Worker a dies without a word; b takes its shards when their leases lapse.
    std::thread::sleep(Duration::from_millis(800));
    a.kill().unwrap();
    a.wait().unwrap();
    let before = shards_read("b");
    let local = dir.join("lake");
    let download = || bucket.download(&local);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        download();
        if lake_positions_count(&local) >= expected.len() {
            break;
        }
        assert!(Instant::now() < deadline, "b did not finish: {}", log("b"));
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(
        shards_read("b") > before,
        "b took over shards: {}",
        log("b")
    );
    sigterm(&b);
    assert!(wait_with_timeout(&mut b, Duration::from_secs(60)).success());
    download();
    assert_exactly_once(&local, expected);
}

/// Two consumers started with one `--worker-id` (two systemd instances, two containers with one
/// host name) are two workers: they share the shards instead of taking them from each other,
/// and the lake holds every record once.
#[test]
fn two_processes_with_one_worker_id_share_the_shards_without_fighting() {
    let Some((run, bucket)) = Filled::on_s3("sameid", 8, 4_000) else {
        return;
    };
    let (endpoint, stream, expected, dir, _) = run.parts();
    let worker = |log: &str| {
        let worker = SharedWorker {
            name: "same",
            lease_secs: "4",
            per_call: "25",
        };
        let log = dir.join(log);
        worker
            .command(endpoint, &bucket, stream, &log, &["--drain"])
            .spawn()
            .unwrap()
    };
    let mut first = worker("first.log");
    let mut second = worker("second.log");
    for child in [&mut first, &mut second] {
        assert!(wait_with_timeout(child, Duration::from_secs(180)).success());
    }
    let log = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    for name in ["first.log", "second.log"] {
        let text = log(name);
        assert!(
            !text.contains("another worker took this shard"),
            "{name}: the two took shards from each other:\n{text}"
        );
    }
    let local = dir.join("lake");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
}

/// On S3 a restarted process is a new worker (its id plus a start token). A drain started right
/// after a kill -9 must not take the dead predecessor, whose heartbeat has not lapsed yet, for a
/// live worker and leave its shards unread: it waits for the leases to lapse and reads them.
#[test]
fn a_drain_after_a_kill_reads_the_dead_predecessors_shards() {
    let Some((run, bucket)) = Filled::on_s3("predecessor", 8, 3_000) else {
        return;
    };
    let (endpoint, stream, expected, dir, _) = run.parts();
    let worker = |log: &str, extra: &[&str]| {
        let worker = SharedWorker {
            name: "same",
            lease_secs: "3",
            per_call: "10",
        };
        worker.command(endpoint, &bucket, stream, &dir.join(log), extra)
    };
    let mut first = worker("first.log", &[]).spawn().unwrap();
    let log = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while log("first.log").matches("reading shard").count() < 4 {
        assert!(Instant::now() < deadline, "{}", log("first.log"));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    first.kill().unwrap();
    first.wait().unwrap();
    let (status, text) = status_and_log(
        &mut worker("drain.log", &["--drain"]),
        Duration::from_secs(180),
    );
    assert!(status.success(), "{text}");
    let local = dir.join("lake");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
}

/// GetRecords answers that cannot be parsed (a truncated body, a record with a broken field, a
/// body that is not JSON), now and then: the hand-written body parser rejects each without a
/// panic, the reader retries or is restarted from its checkpoint, a drain still ends, and every
/// record is in the lake once.
#[test]
fn unparseable_records_answers_are_retried_and_lose_nothing() {
    let Some((run, bucket)) = Filled::on_s3("garbled", 6, 2_000) else {
        return;
    };
    let (endpoint, stream, expected, dir, _) = run.parts();
    let json = "application/x-amz-json-1.1";
    let garbled = |every, body| Rule {
        needle: "Kinesis_20131202.GetRecords",
        every,
        fault: Fault::Answer(200, json, body),
    };
    let proxy = FaultProxy::start(
        endpoint.trim_start_matches("http://"),
        vec![
            garbled(4, r#"{"Records":[{"Data":"eyJ","PartitionKey":"a","#),
            garbled(
                7,
                r#"{"Records":[{"Data":12,"PartitionKey":"a","SequenceNumber":"1","ApproximateArrivalTimestamp":"x"}],"NextShardIterator":"n","MillisBehindLatest":0}"#,
            ),
            garbled(9, "<html>gateway error</html>"),
        ],
    );
    let mut command = consume_s3_command(
        &proxy.url,
        &bucket.endpoint,
        stream,
        &bucket.url(),
        &[
            "--drain",
            "--max-age-secs",
            "1",
            "--max-records-per-call",
            "100",
        ],
    );
    let (status, log) = status_and_log(&mut command, Duration::from_secs(300));
    assert!(status.success(), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        proxy.counts.faults.load(Relaxed) >= 5,
        "too few garbled answers"
    );
    let handled: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("backing off") || l.contains("restarting it"))
        .collect();
    assert!(!handled.is_empty(), "no garbled answer was noticed: {log}");
    eprintln!("{}", handled[..handled.len().min(6)].join("\n"));
    let local = dir.join("lake");
    bucket.download(&local);
    assert_exactly_once(&local, expected);
}

/// KPL aggregates are expanded: every user record is a row, at its own sub-sequence number.
#[test]
fn kpl_aggregated_records_become_one_row_per_user_record() {
    use alarmlake_schemas::kpl::{UserRecord, aggregate};
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("kpl");
    let users = lines(4, 300);
    // 15 aggregates of 20 user records each, plus the 300 lines once more as plain records.
    let aggregates: Vec<(String, Vec<u8>)> = users
        .chunks(20)
        .map(|chunk| {
            let records: Vec<UserRecord> = chunk
                .iter()
                .map(|(key, data)| UserRecord {
                    partition_key: key.clone(),
                    explicit_hash_key: None,
                    data: data.clone(),
                })
                .collect();
            (chunk[0].0.clone(), aggregate(&records))
        })
        .collect();
    let mut all = aggregates.clone();
    all.extend(users.iter().cloned());
    let put = runtime().block_on(put_stream(&endpoint, &stream, 2, &all));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let log = drain(&endpoint, &stream, &lake);
    assert!(
        log.contains("consumed 315 records") && log.contains("600 events"),
        "{log}"
    );

    let csv = run_ok(&mut sql_csv(
        &lake,
        "SELECT shard_id, sequence_number, count(*) AS n, count(DISTINCT sub_sequence_number) AS subs, \
                max(sub_sequence_number) AS top \
         FROM (SELECT shard_id, sequence_number, sub_sequence_number FROM alarm_events \
               UNION ALL SELECT shard_id, sequence_number, sub_sequence_number FROM mode_events \
               UNION ALL SELECT shard_id, sequence_number, sub_sequence_number FROM camera_media) \
         GROUP BY shard_id, sequence_number",
    ));
    let rows: Vec<String> = String::from_utf8_lossy(&csv.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(rows.len(), put.len(), "every Kinesis record is in the lake");
    let aggregated = rows.iter().filter(|r| r.ends_with(",20,20,19")).count();
    let plain = rows.iter().filter(|r| r.ends_with(",1,1,0")).count();
    assert_eq!((aggregated, plain), (15, 300), "{rows:?}");
}

/// A stream that does not exist is a clear error and a non-zero exit, not a retry loop.
#[test]
fn a_missing_stream_is_a_clear_error() {
    let Some(endpoint) = endpoint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let output = consume_command(&endpoint, "no-such-stream", &dir.path().join("lake"), &[])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("cannot read stream no-such-stream") && log.contains("ResourceNotFound"),
        "{log}"
    );
}

/// No credentials anywhere (no keys, no profile, instance metadata off) is a clear error and a
/// non-zero exit at start. The SDK reports such a chain as a dispatch failure, which the
/// consumer used to retry forever; the wait below turns that back into a failure.
#[test]
fn missing_credentials_are_a_clear_error_not_a_retry_loop() {
    let Some(endpoint) = endpoint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut command = consume_command(&endpoint, "any-stream", &dir.path().join("lake"), &[]);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        command.env_remove(name);
    }
    command
        .env("HOME", dir.path())
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        // The chain's last link would ask 169.254.169.254; tests reach 127.0.0.1 only.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let (status, log) = status_and_log(&mut command, Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(
        log.contains("AWS credentials (profile `default`)") && log.contains("AWS_ACCESS_KEY_ID"),
        "{log}"
    );
}

/// `alarmlake loadgen` on a stream that does not exist (and without `--create`) is a clear error
/// and exit 2 at once, before anything is generated or put.
#[test]
fn loadgen_on_a_missing_stream_is_a_clear_error() {
    let Some(endpoint) = endpoint() else { return };
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command).args([
        "loadgen",
        "--stream",
        "no-such-loadgen-stream",
        "--count",
        "10",
        "--endpoint-url",
        &endpoint,
    ]);
    let (status, log) = status_and_log(&mut command, Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(
        log.contains("no-such-loadgen-stream") && log.contains("ResourceNotFound"),
        "{log}"
    );
}

/// `alarmlake loadgen` of `count` events from five homes into a new stream of `shards` shards,
/// with the emulators' credentials and its manifest at `manifest`; `extra` adds flags.
fn loadgen_new(
    manifest: &Path,
    endpoint: &str,
    stream: &str,
    (shards, count): (u32, u32),
    extra: &[&str],
) -> Command {
    let (shards, count) = (shards.to_string(), count.to_string());
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command)
        .arg("loadgen")
        .arg("--manifest")
        .arg(manifest)
        .args([
            "--stream", stream, "--create", "--shards", &shards, "--homes", "5",
        ])
        .args(["--count", &count, "--endpoint-url", endpoint])
        .args(extra);
    command
}

/// `alarmlake loadgen` fills a stream with the generator's events, keyed by site, and the
/// consumer reads them all back: exactly the positions the loader's manifest lists.
#[test]
fn loadgen_fills_a_stream_that_the_consumer_reads_back() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("loadgen");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.json");
    let output = run_ok(&mut loadgen_new(
        &manifest,
        &endpoint,
        &stream,
        (3, 2000),
        &[],
    ));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("put 2000 events in 2000 Kinesis records"),
        "{log}"
    );
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(manifest_json["events"], 2000);
    assert_eq!(manifest_json["shards"].as_object().unwrap().len(), 3);
    let positions =
        std::fs::read_to_string(dir.path().join("manifest.json.positions.csv")).unwrap();
    let put: BTreeSet<(String, String)> = positions
        .lines()
        .skip(1)
        .map(|line| {
            let mut parts = line.split(',');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(put.len(), 2000);
    let lake = dir.path().join("lake");
    let log = drain(&endpoint, &stream, &lake);
    assert_exactly_once(&lake, &put);
    assert!(
        log.contains("consumed 2000 records from 3 shards: 2000 events"),
        "{log}"
    );
    // Panel events are keyed by their home, so the key and the site agree.
    let csv = run_ok(&mut sql_csv(
        &lake,
        "SELECT count(*) AS n, count(*) FILTER (WHERE partition_key = site) AS keyed FROM alarm_events",
    ));
    let text = String::from_utf8_lossy(&csv.stdout);
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[0], row[1], "{text}");
}

/// `alarmlake bench --verify-only DIR`: its exit code and what it printed.
fn verify_again(dir: &Path) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(&mut command).args(["bench", "--target", "emulators", "--verify-only", "--out"]);
    let output = command.arg(dir).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// A PutRecords call whose answer is lost may still have stored its batch. The load generator
/// sends the batch again and counts it in its manifest; the stream then holds those events
/// twice, and the consumer writes each position once. The benchmark's check tells the second
/// copies apart as the producer's, but only as many as the manifest declares.
#[test]
fn a_batch_stored_twice_after_a_lost_answer_is_counted_and_told_apart() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("put-twice");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("manifest.json");
    // Every second PutRecords call is stored, but its answer never reaches the loader.
    let proxy = FaultProxy::start(
        endpoint.trim_start_matches("http://"),
        vec![Rule {
            needle: "Kinesis_20131202.PutRecords",
            every: 2,
            fault: Fault::LoseAnswer,
        }],
    );
    let output = run_ok(&mut loadgen_new(
        &manifest,
        &proxy.url,
        &stream,
        (2, 1200),
        &["--concurrency", "1"],
    ));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(proxy.counts.faults.load(Relaxed) >= 1, "{log}");
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(manifest_json["events"], 1200, "{log}");
    let doubled = manifest_json["maybe_doubled_events"].as_u64().unwrap();
    assert!(doubled > 0, "{manifest_json}");
    assert!(log.contains("the stream may hold them twice"), "{log}");

    // The stream holds the lost answers' batches twice; the consumer reads them all.
    let consumed = drain(&endpoint, &stream, &dir.path().join("lake"));
    assert!(
        consumed.contains(&format!("consumed {} records", 1200 + doubled)),
        "{consumed}"
    );
    let (code, text) = verify_again(dir.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "{doubled} rows repeat an event at another stream position"
        )),
        "{text}"
    );

    // A manifest that declares fewer cannot explain them: the check fails.
    let mut understated = manifest_json.clone();
    understated["maybe_doubled_events"] = serde_json::json!(doubled - 1);
    std::fs::write(&manifest, understated.to_string()).unwrap();
    let (code, text) = verify_again(dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAILED"), "{text}");
}

/// A worker of the tests where several processes share a stream's shards through leases in the
/// lake's bucket.
struct SharedWorker<'a> {
    name: &'a str,
    lease_secs: &'a str,
    /// At most this many records per GetRecords, so that a run takes several pages per shard.
    per_call: &'a str,
}

impl SharedWorker<'_> {
    /// Its `consume` command with `extra` arguments, standard error into `log`.
    fn command(
        &self,
        endpoint: &str,
        bucket: &S3Lake,
        stream: &str,
        log: &Path,
        extra: &[&str],
    ) -> Command {
        let mut args = worker_args(self.name, self.lease_secs);
        args.extend(["--max-records-per-call", self.per_call]);
        args.extend_from_slice(extra);
        let mut command =
            consume_s3_command(endpoint, &bucket.endpoint, stream, &bucket.url(), &args);
        command.stderr(std::fs::File::create(log).unwrap());
        command
    }
}
