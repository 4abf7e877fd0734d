//! `alarmlake consume --efo NAME`: the stream read through enhanced fan-out (SubscribeToShard)
//! on kinesis-mock, checked record by record as polling is: a clean run, kill -9 at random
//! points and a restart, and a split while it runs. And the consumer's registration: reused
//! when it exists, removed by `--efo-deregister`, refused at start when its name is invalid or
//! its ARN names another stream.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use support::exactly_once::{Filled, assert_exactly_once, checkpoints, lake_positions, runtime};
use support::kinesis::{
    consume_command, endpoint, generated_records as lines, kill_after, put_records, put_stream,
    sigterm, status_and_log, test_client, wait_active, wait_with_timeout,
};
use support::{run_ok, unique};

const CONSUMER: &str = "alarmlake-test";

/// The stream's registered consumers, by name.
fn consumers(endpoint: &str, stream: &str) -> BTreeSet<String> {
    runtime().block_on(async {
        let client = test_client(endpoint);
        let arn = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .unwrap()
            .stream_description_summary()
            .unwrap()
            .stream_arn()
            .to_string();
        client
            .list_stream_consumers()
            .stream_arn(arn)
            .send()
            .await
            .unwrap()
            .consumers()
            .iter()
            .map(|c| c.consumer_name().to_string())
            .collect()
    })
}

fn efo_drain(endpoint: &str, stream: &str, lake: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--efo", CONSUMER, "--drain"];
    args.extend(extra);
    let output = run_ok(&mut consume_command(endpoint, stream, lake, &args));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_fan_out_run_puts_every_record_in_the_lake_once() {
    let Some(run) = Filled::start("efo-clean", 6, 5_000, 4) else {
        return;
    };
    let (endpoint, stream, expected, _, lake) = run.parts();
    let log = efo_drain(endpoint, stream, lake, &[]);
    assert!(log.contains("reading with enhanced fan-out"), "{log}");
    assert!(log.contains("consumed 5000 records from 4 shards"), "{log}");
    assert!(!log.contains("GetRecords"), "no shard was polled: {log}");
    assert_exactly_once(lake, expected);
    for (shard, checkpoint) in checkpoints(lake, stream) {
        let records = expected.iter().filter(|(s, _)| *s == shard).count();
        assert_eq!(checkpoint["records"].as_u64(), Some(records as u64));
        assert!(checkpoint["intent"].is_null() && checkpoint["lease"].is_null());
    }
    // The consumer stays registered for the next run, which reuses it and finds nothing new;
    // --efo-deregister removes it at the end.
    assert_eq!(
        consumers(endpoint, stream),
        BTreeSet::from([CONSUMER.into()])
    );
    let log = efo_drain(endpoint, stream, lake, &["--efo-deregister"]);
    assert!(
        log.contains("reusing the registered stream consumer"),
        "{log}"
    );
    assert!(log.contains("consumed 0 records"), "{log}");
    assert!(consumers(endpoint, stream).is_empty());
    assert_exactly_once(lake, expected);
}

#[test]
fn fan_out_killed_at_random_points_then_restarted_is_exactly_once() {
    let Some(run) = Filled::start("efo-kill9", 8, 6_000, 4) else {
        return;
    };
    let (endpoint, stream, expected, dir, lake) = run.parts();
    let mut kills = 0;
    for round in 0..5u64 {
        let log = dir.join(format!("round-{round}.log"));
        let mut command = consume_command(
            endpoint,
            stream,
            lake,
            &["--efo", CONSUMER, "--max-age-secs", "1", "--target-mb", "0"],
        );
        if round % 2 == 1 {
            command.env("ALARMLAKE_TEST_PAUSE_BEFORE_COMMIT_MS", "400");
        }
        // SIGKILL between 1.5 and 4 s: its subscriptions are left open on the server.
        let wait =
            |pid| Duration::from_millis(1_500 + (round * 7919 + u64::from(pid) * 31) % 2_500);
        kills += usize::from(kill_after(&mut command, &log, wait));
    }
    assert!(kills >= 4, "the consumer was killed {kills} times");
    let log = efo_drain(endpoint, stream, lake, &[]);
    assert!(log.contains("reading with enhanced fan-out"), "{log}");
    assert_exactly_once(lake, expected);
}

#[test]
fn a_split_during_a_fan_out_run_loses_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let stream = unique("efo-split");
    let records = lines(8, 3_500);
    let (before, after) = records.split_at(2_000);
    let rt = runtime();
    let mut expected = rt.block_on(put_stream(&endpoint, &stream, 2, before));
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let log_file = dir.path().join("consume.log");
    let mut child = consume_command(
        &endpoint,
        &stream,
        &lake,
        &["--efo", CONSUMER, "--max-age-secs", "1"],
    )
    .stderr(std::fs::File::create(&log_file).unwrap())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(2_000));
    expected.extend(rt.block_on(async {
        let client = test_client(&endpoint);
        client
            .update_shard_count()
            .stream_name(&stream)
            .target_shard_count(4)
            .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
            .send()
            .await
            .unwrap();
        wait_active(&client, &stream).await;
        put_records(&client, &stream, after).await
    }));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !lake.join("alarm_events").exists() || lake_positions(&lake).len() < expected.len() {
        assert!(
            Instant::now() < deadline,
            "not everything arrived: {}",
            std::fs::read_to_string(&log_file).unwrap()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    sigterm(&child);
    assert!(wait_with_timeout(&mut child, Duration::from_secs(60)).success());
    assert_exactly_once(&lake, &expected);
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(log.contains("shard ended (SHARD_END)"), "{log}");
    let children: BTreeSet<String> = expected
        .iter()
        .map(|(shard, _)| shard.clone())
        .filter(|s| !s.ends_with("00000") && !s.ends_with("00001"))
        .collect();
    assert!(!children.is_empty(), "records went to the children");
}

/// A name Kinesis would refuse, and a consumer ARN of another stream, stop the consumer at
/// start with exit 2 and one line saying why, before anything is read.
#[test]
fn a_bad_consumer_name_or_another_streams_arn_is_refused_at_start() {
    let Some(run) = Filled::start("efo-bad", 1, 10, 1) else {
        return;
    };
    let (endpoint, stream, _, _, lake) = run.parts();
    let other_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/another/consumer/x:1700000000";
    for (name, message) in [
        ("has space", "\"has space\" is not a valid consumer name"),
        (other_arn, "is registered for another stream"),
    ] {
        let (status, log) = status_and_log(
            &mut consume_command(endpoint, stream, lake, &["--efo", name, "--drain"]),
            Duration::from_secs(60),
        );
        assert_eq!(status.code(), Some(2), "{log}");
        assert!(log.contains(message), "{log}");
        assert!(!lake.join("alarm_events").exists(), "nothing was read");
    }
}
