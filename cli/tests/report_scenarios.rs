//! The monitoring reports on a scenario whose answers are known: capture logs of three panels and
//! a MODE home, written by hand in `fixtures/report_scenario/`, with timestamps before each raw
//! AlarmDecoder line. What happens there, in UTC:
//!
//! - site-a (a bakery in New York, open 08:00-18:00): a false alarm on zone 9 at 2024-03-09
//!   14:00:12, cancelled 40 s later by user 3, with the expander fault before it and the restore
//!   after; a real interior alarm on 03-10 at 15:00, disarmed 20 minutes later; openings and
//!   closings across the change to daylight saving time (03-10, 07:00), two of them late, and a
//!   454 failed-to-close.
//! - site-b (New York): an RF low battery on zone 12 from 03-08 10:00 to 03-10 10:00 (48 hours,
//!   across the change), an AC loss still open since 03-09 06:00, a tamper on zone 5 reported
//!   twice and cleared after 15 minutes; its test at 03-12 05:00 is the newest panel message.
//! - site-c (Chicago, open 07:00-17:00): no periodic test after 03-09 03:00 while its keypad
//!   goes on; a keypad-only panel opened early and closed late on 03-11.
//! - site-d (Berlin) is in the sites table and never sent anything; MODE home 2001's power
//!   monitor goes off at 06:30 and on at 07:30 on 03-10 (one hour, though the wall clock moves
//!   two), and off again a day later.
//!
//! Each report's rows must equal the expected file exactly, in UTC and with the sites table
//! (local time with offsets, local dates for `--from`/`--to`); and DuckDB must give the same rows
//! from the SQL alarmlake prints.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{lake_check, run_ok, stdout_of, tool};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report_scenario")
}

fn alarmlake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_alarmlake"))
}

/// The scenario's lake: each panel's capture log under its site, then the MODE events.
fn build_lake(lake: &Path) {
    let lake = lake.to_str().unwrap();
    for site in ["site-a", "site-b", "site-c"] {
        let log = fixtures().join(format!("{site}.log"));
        let output = run_ok(alarmlake().args([
            "ingest-file",
            "--lake",
            lake,
            "--site",
            site,
            "--no-progress",
            log.to_str().unwrap(),
        ]));
        let summary = String::from_utf8_lossy(&output.stderr);
        assert!(summary.contains(" 0 rejected"), "{site}: {summary}");
    }
    let devices = fixtures().join("devices.ndjson");
    run_ok(alarmlake().args([
        "ingest-file",
        "--lake",
        lake,
        "--no-progress",
        devices.to_str().unwrap(),
    ]));
}

/// Each case: the expected file's name, and the report's arguments.
fn cases() -> Vec<(&'static str, Vec<String>)> {
    let sites = fixtures().join("sites.csv").to_string_lossy().into_owned();
    let with_sites = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--sites".to_string(), sites.clone()]);
        all
    };
    let plain = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let timeline = ["alarm-timeline", "--site", "site-a", "--to", "2024-03-09"];
    vec![
        ("false-alarms-utc", plain(&["false-alarms"])),
        ("false-alarms-sites", with_sites(&["false-alarms"])),
        ("false-alarm-rate-utc", plain(&["false-alarm-rate"])),
        ("false-alarm-rate-sites", with_sites(&["false-alarm-rate"])),
        ("troubles-utc", plain(&["troubles"])),
        ("troubles-sites", with_sites(&["troubles"])),
        (
            "troubles-tz",
            plain(&["troubles", "--tz", "America/New_York"]),
        ),
        ("silent-panels-utc", plain(&["silent-panels"])),
        ("silent-panels-sites", with_sites(&["silent-panels"])),
        ("openings-utc", plain(&["openings"])),
        ("openings-sites", with_sites(&["openings"])),
        (
            "openings-utc-day",
            plain(&["openings", "--from", "2024-03-11", "--to", "2024-03-11"]),
        ),
        (
            "openings-sites-local-day",
            with_sites(&["openings", "--from", "2024-03-10", "--to", "2024-03-10"]),
        ),
        ("device-state-utc", plain(&["device-state"])),
        ("device-state-sites", with_sites(&["device-state"])),
        ("alarm-timeline-utc", plain(&timeline)),
        ("alarm-timeline-sites", with_sites(&timeline)),
        (
            "alarm-timeline-latest",
            with_sites(&["alarm-timeline", "--site", "site-a"]),
        ),
    ]
}

fn rows(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_report_gives_the_known_answer_in_utc_and_in_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    build_lake(&lake);
    let python = tool("ALARMLAKE_TEST_PYTHON");
    for (expected_name, args) in cases() {
        let mut command = alarmlake();
        command.arg("report").args(&args).args([
            "--lake",
            lake.to_str().unwrap(),
            "--format",
            "ndjson",
        ]);
        let got = stdout_of(&mut command);
        let expected_file = fixtures().join(format!("expected/{expected_name}.ndjson"));
        let expected = std::fs::read_to_string(&expected_file).unwrap();
        assert_eq!(
            rows(&got),
            rows(&expected),
            "{expected_name}: report {args:?} differs from {}",
            expected_file.display()
        );
        assert!(!rows(&expected).is_empty(), "{expected_name} expects rows");

        // The same SQL, printed, gives the same rows in DuckDB.
        let Some(python) = &python else { continue };
        let sql = stdout_of(alarmlake().arg("report").args(&args).arg("--show-sql"));
        let sql_file = dir.path().join(format!("{expected_name}.sql"));
        let rows_file = dir.path().join(format!("{expected_name}.ndjson"));
        std::fs::write(&sql_file, sql).unwrap();
        std::fs::write(&rows_file, &got).unwrap();
        let output = Command::new(python)
            .args([
                lake_check().as_str(),
                "compare-report",
                lake.to_str().unwrap(),
                sql_file.to_str().unwrap(),
                rows_file.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{expected_name} in DuckDB: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Mistakes in the local-time options are one clear line each, before any query runs.
#[test]
fn bad_local_time_options_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad_sites = dir.path().join("sites.csv");
    std::fs::write(&bad_sites, "site,time_zone\nsite-a,Mars/Olympus\n").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["troubles", "--tz", "Europe/Atlantis"], "Europe/Atlantis"),
        (
            &["troubles", "--sites", bad_sites.to_str().unwrap()],
            "row 1: unknown time zone \"Mars/Olympus\"",
        ),
        (
            &["alarm-timeline"],
            "report alarm-timeline needs --site SITE",
        ),
        (
            &["volume", "--from", "2024-02-30"],
            "\"2024-02-30\" is not a date",
        ),
    ];
    for (args, message) in cases {
        let output = alarmlake()
            .arg("report")
            .args(args)
            .args(["--lake", dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// `alarm-timeline --chart` draws the incident: every step's local time, what it was and its
/// detail, in order from the top, under a caption naming the site and day.
#[test]
fn the_alarm_timeline_chart_shows_each_step_in_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    build_lake(&lake);
    let chart = dir.path().join("incident.svg");
    let sites = fixtures().join("sites.csv");
    run_ok(alarmlake().args([
        "report",
        "alarm-timeline",
        "--site",
        "site-a",
        "--to",
        "2024-03-09",
        "--sites",
        sites.to_str().unwrap(),
        "--lake",
        lake.to_str().unwrap(),
        "--chart",
        chart.to_str().unwrap(),
    ]));
    let svg = std::fs::read_to_string(&chart).unwrap();
    let texts: Vec<&str> = svg
        .split("</text>")
        .filter_map(|t| t.rsplit_once('>').map(|(_, text)| text.trim()))
        .collect();
    assert!(
        texts.contains(&"Alarm at site-a on 2024-03-09"),
        "{texts:?}"
    );
    let steps: Vec<&&str> = texts.iter().filter(|t| t.starts_with("09:0")).collect();
    assert_eq!(
        steps,
        [
            "09:00:00  fault: expander 7 channel 1",
            "09:00:01  entry delay: DISARM SYSTEM   Or alarm occurs",
            "09:00:12  alarm sounding: ALARM 09 BEDROOM WINDOW",
            "09:00:12  alarm reported: Burglary: Entry/Exit (zone 009)",
            "09:00:52  alarm silenced: FAULT 09 BEDROOM WINDOW",
            "09:00:52  disarmed: FAULT 09 BEDROOM WINDOW",
            "09:00:52  fault: FAULT 09 BEDROOM WINDOW",
            "09:00:52  cancel reported: Open/Close: Cancel (user 003)",
            "09:01:30  restore: expander 7 channel 1",
            "09:01:30  ready (all zones closed): ****DISARMED****  Ready to Arm",
        ]
        .iter()
        .collect::<Vec<_>>()
    );
    // A dot per step.
    assert!(svg.matches("<circle").count() >= 10, "dots are drawn");
}
