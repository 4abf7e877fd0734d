//! `alarmlake bench` end to end on a small load against kinesis-mock and moto, with the events
//! KPL-aggregated and MODE bulk-data records among them: the report files are written and their
//! figures parse and hold together, the exactly-once check passes, and the same check fails when
//! an event is taken out of the lake or doubled (it can fail).

mod support;

use std::path::Path;
use std::process::Command;

use support::kinesis::endpoint;
use support::{credentials, parquet_files, run_ok, tool};

fn bench(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(command.arg("bench").args(args));
    command
}

fn verify_again(out: &Path) -> (Option<i32>, String) {
    let output = bench(&[
        "--target",
        "emulators",
        "--verify-only",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_small_bench_run_reports_and_its_check_can_fail() {
    let Some(kinesis) = endpoint() else { return };
    let (Some(s3), Some(python)) = (
        tool("ALARMLAKE_TEST_S3_ENDPOINT"),
        tool("ALARMLAKE_TEST_PYTHON"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let output = run_ok(&mut bench(&[
        "--target",
        "emulators",
        "--kinesis-endpoint",
        &kinesis,
        "--s3-endpoint",
        &s3,
        "--shards",
        "2",
        "--rate",
        "300",
        "--duration",
        "4s",
        "--homes",
        "3",
        "--flush-secs",
        "2",
        "--kpl-aggregate",
        "--bulk-every",
        "40",
        "--no-baseline",
        "--python",
        &python,
        "--out",
        out.to_str().unwrap(),
    ]));
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("exactly once") && summary.contains("passed"),
        "{summary}"
    );

    for file in [
        "report.md",
        "report.json",
        "throughput.png",
        "lag.png",
        "latency.png",
        "manifest.json",
    ] {
        assert!(out.join(file).exists(), "{file} is missing");
    }
    for chart in ["throughput.png", "lag.png", "latency.png"] {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(out.join(chart)).unwrap(),
        ));
        let reader = decoder.read_info().unwrap();
        assert_eq!(
            (reader.info().width, reader.info().height),
            (1000, 480),
            "{chart}"
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let events = report["load"]["events"].as_u64().unwrap();
    assert!(events > 500, "{events} events");
    assert_eq!(
        report["verification"]["expected_events"].as_u64(),
        Some(events)
    );
    assert_eq!(report["verification"]["rows"].as_u64(), Some(events));
    assert_eq!(
        report["duckdb_rows"].as_u64(),
        Some(events),
        "DuckDB agrees"
    );
    let latency = &report["latency"];
    let (p50, p95, p99) = (
        latency["p50_seconds"].as_f64().unwrap(),
        latency["p95_seconds"].as_f64().unwrap(),
        latency["p99_seconds"].as_f64().unwrap(),
    );
    assert!(p50 <= p95 && p95 <= p99 && p99 < 60.0, "{latency}");
    assert_eq!(latency["rows"].as_u64(), Some(events));
    let backlog = &report["backlog"];
    assert_eq!(
        backlog["records"].as_u64(),
        report["load"]["kinesis_records"].as_u64()
    );
    assert!(backlog["cpu_seconds_per_million"].as_f64().unwrap() > 0.0);
    // The consumer counts its own CPU, in all and after start-up: the second is less.
    let after_start = backlog["cpu_seconds_after_start"]
        .as_f64()
        .expect("the backlog consumer reports its CPU after start-up");
    let whole = backlog["cpu_seconds"].as_f64().unwrap();
    assert!(
        after_start > 0.0 && after_start < whole,
        "{after_start} s after start-up of {whole} s"
    );
    assert!(
        backlog["cpu_seconds_per_million_after_start"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(backlog["p6"].as_f64().unwrap() > 0.0);
    assert!(report["samples"].as_array().unwrap().len() >= 3);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    for expected in [
        "**passed**",
        "P3:",
        "P4:",
        "P6:",
        "Emulator-bound",
        "![latency](latency.png)",
        "2_arm_transitions",
    ] {
        assert!(
            markdown.contains(expected),
            "{expected:?} missing from report.md:\n{markdown}"
        );
    }

    // Aggregates hold many events each, and the bulk records landed in their own table.
    assert!(report["load"]["kinesis_records"].as_u64().unwrap() * 5 < events);
    assert!(!parquet_files(&out.join("lake/bulk_records")).is_empty());

    // The check passes on the copy as it is, and fails without one file, or with one twice.
    assert_eq!(verify_again(&out).0, Some(0));
    let files = parquet_files(&out.join("lake"));
    let victim = files
        .iter()
        .find(|f| f.to_string_lossy().contains("alarm_events"))
        .unwrap();
    let kept = std::fs::read(victim).unwrap();
    std::fs::remove_file(victim).unwrap();
    let (code, text) = verify_again(&out);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAILED") && text.contains("missing: "),
        "{text}"
    );
    std::fs::write(victim, &kept).unwrap();
    std::fs::write(victim.with_file_name("copy.parquet"), &kept).unwrap();
    let (code, text) = verify_again(&out);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("twice: "), "{text}");
}
