//! `alarmlake decode` as a user runs it: the real binary on real files and stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> String {
    format!(
        "{}/../schemas/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn alarmlake(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut input = child.stdin.take().expect("stdin");
    // A command that stops before reading (an unusable lake) may close its stdin first; its
    // exit code and message are what the test checks then.
    match input.write_all(stdin.unwrap_or_default()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.expect("write stdin"),
    }
    drop(input);
    child.wait_with_output().expect("binary finishes")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn formats_md_lines_print_typed_events() {
    let output = alarmlake(&["decode", &fixture("formats-md.txt")], None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = json_lines(&output);
    assert_eq!(events.len(), 12, "13 lines, one of them !Ready chatter");
    let first = &events[0];
    assert_eq!(first["table"], "alarm_events");
    assert_eq!(first["message_type"], "keypad");
    assert_eq!(first["ready"], true);
    assert_eq!(first["beeps"], 0);
    assert_eq!(first["numeric_code"], "008");
    assert_eq!(first["text"], "****DISARMED****  Ready to Arm  ");
    assert_eq!(first["arm_state"], "disarmed");
    assert_eq!(first["line"], 1);
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys[0], "table", "table comes first");
    assert_eq!(events[7]["serial_number"], "0180036");
    assert_eq!(events[7]["loop4"], true);
    assert_eq!(events[9]["event_code"], "0x401");
    assert_eq!(events[9]["event_description"], "Open/Close: By User");
    assert_eq!(events[11]["table"], "mode_events");
    assert_eq!(events[11]["home_id"], 173);
    assert_eq!(events[11]["event_time"], "2016-01-04T23:26:09.521Z");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("decoded 13 records: 12 events, 0 rejected, 1 chatter"),
        "{stderr}"
    );
}

#[test]
fn site_time_zone_applies_to_dict_time() {
    let output = alarmlake(
        &[
            "decode",
            "--site",
            "lake-house",
            "--site-tz",
            "lake-house=America/Denver",
            &fixture("dict-records.ndjson"),
        ],
        None,
    );
    assert!(output.status.success());
    let events = json_lines(&output);
    assert_eq!(events[0]["site"], "lake-house");
    assert_eq!(events[0]["time"], "2017-01-17T23:41:02.123456");
    assert_eq!(
        events[0]["event_time"], "2017-01-18T06:41:02.123456Z",
        "MST is UTC-7"
    );
    assert_eq!(events[1]["zone"], 5);
    assert_eq!(events[1]["zone_name"], "FRONT DOOR");
}

#[test]
fn rejections_are_printed_and_strict_fails() {
    let input = b"!RFX:0180036,80\n!RFX:nope\n\xff\xfe\n{\"ready\": \"yes\"}\n";
    let output = alarmlake(&["decode", "--strict", "-"], Some(input));
    assert_eq!(
        output.status.code(),
        Some(1),
        "--strict exits 1 when something is rejected"
    );
    let lines = json_lines(&output);
    let reasons: Vec<&str> = lines
        .iter()
        .filter(|l| l["table"] == "dead_letters")
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["malformed_rf", "invalid_utf8", "wrong_type"]);
    assert_eq!(lines[1]["raw"], "!RFX:nope");
    assert_eq!(lines[1]["line"], 2);
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("decoded 4 records: 1 events, 3 rejected, 0 chatter")
    );

    let lenient = alarmlake(&["decode", "-"], Some(input));
    assert!(
        lenient.status.success(),
        "without --strict, rejections are data, not failure"
    );
}

#[test]
fn whole_file_reads_pretty_json_and_table_format_prints() {
    let output = alarmlake(
        &["decode", "--whole-file", &fixture("s3-notification.json")],
        None,
    );
    assert!(output.status.success());
    let events = json_lines(&output);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["table"], "camera_media");
    assert_eq!(events[0]["camera"], "front porch");
    assert_eq!(events[1]["media_kind"], "video");

    let table = alarmlake(
        &["decode", "--format", "table", &fixture("formats-md.txt")],
        None,
    );
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("alarm_events (11 rows)") && text.contains("mode_events (1 rows)"),
        "{text}"
    );
    assert!(text.contains("| relay "), "{text}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let output = alarmlake(&["decode", "--tz", "Mars/Olympus", "-"], Some(b""));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown time zone"), "{stderr}");
    let missing = alarmlake(&["decode", "/nonexistent/file.txt"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent/file.txt"));
}

#[test]
fn ingest_file_counts_bad_records_and_fails_only_on_io() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let input = b"!RFX:0180036,80\n!RFX:nope\n!Ready\n{\"value\": \"0a\"}\n";
    let ingest = |lake: &std::path::Path| {
        let lake = lake.to_str().unwrap();
        alarmlake(
            &["ingest-file", "--lake", lake, "--no-progress", "-"],
            Some(input),
        )
    };
    let output = ingest(&lake);
    assert!(
        output.status.success(),
        "bad records are data, not failure: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(summary.contains("ingested 4 records"), "{summary}");
    assert!(
        summary.contains("2 events, 1 rejected, 1 chatter skipped"),
        "{summary}"
    );
    assert!(
        summary.contains("dead_letters (malformed_rf): 1"),
        "{summary}"
    );
    assert!(lake.join("dead_letters").is_dir() && lake.join("alarm_events").is_dir());

    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"a file where the lake should be").unwrap();
    let output = ingest(&blocked);
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unusable lake is an I/O failure"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot open lake"));
}

#[test]
fn generate_pipes_into_ingest_file() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let generated = alarmlake(
        &[
            "generate", "--homes", "1", "--days", "1", "--format", "mixed",
        ],
        None,
    );
    assert!(generated.status.success());
    let lines = String::from_utf8_lossy(&generated.stdout).lines().count();
    let output = alarmlake(
        &[
            "ingest-file",
            "--lake",
            lake.to_str().unwrap(),
            "--no-progress",
            "-",
        ],
        Some(&generated.stdout),
    );
    assert!(output.status.success());
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains(&format!("ingested {lines} records")),
        "{summary}"
    );
    assert!(summary.contains(" 0 rejected"), "{summary}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // The reader goes away before the first line is written.
    drop(child.stdout.take());
    let mut input = child.stdin.take().expect("stdin");
    let line = b"!RFX:0180036,80\n".repeat(20_000);
    let _ = input.write_all(&line);
    drop(input);
    let output = child.wait_with_output().expect("binary finishes");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("error"));
}

/// Rows of every table of `lake` with `shard_id` and line, as `sql` counts them (each line once
/// per event it gave).
fn lake_rows(lake: &std::path::Path) -> u64 {
    let output = alarmlake(
        &[
            "sql",
            "--lake",
            lake.to_str().unwrap(),
            "--format",
            "csv",
            "-c",
            "SELECT (SELECT count(*) FROM alarm_events) + (SELECT count(*) FROM mode_events) \
             + (SELECT count(*) FROM camera_media) AS n",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|n| n.trim().parse().ok())
        .expect("a count")
}

/// Different inputs never replace each other's files, even with the same name or both on
/// stdin; the same file ingested twice replaces its own files instead of doubling its rows.
#[test]
fn ingest_file_inputs_never_collide_and_a_repeat_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let generated = |seed: &str| {
        let output = alarmlake(
            &[
                "generate", "--homes", "2", "--days", "1", "--format", "mixed", "--seed", seed,
            ],
            None,
        );
        assert!(output.status.success());
        output.stdout
    };
    let (first, second) = (generated("1"), generated("2"));
    let ingest = |args: &[&str], input: Option<&[u8]>| {
        let mut all = vec![
            "ingest-file",
            "--lake",
            lake.to_str().unwrap(),
            "--no-progress",
        ];
        all.extend_from_slice(args);
        let output = alarmlake(&all, input);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    // Two different inputs piped in one after the other: both stay.
    ingest(&["-"], Some(&first));
    let one = lake_rows(&lake);
    assert!(one > 100, "{one}");
    ingest(&["-"], Some(&second));
    let two = lake_rows(&lake);
    assert!(
        two > one + 100,
        "the second stdin replaced the first: {one} then {two}"
    );

    // Two files of the same name in different folders: both stay.
    for (folder, lines) in [("a", &first), ("b", &second)] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("panel.log"), lines).unwrap();
    }
    let other = dir.path().join("other-lake");
    // `ingest-file panel.log` run in `folder`.
    let ingest_panel_log = |folder: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
            .current_dir(dir.path().join(folder))
            .args(["ingest-file", "--lake", other.to_str().unwrap()])
            .args(["--no-progress", "panel.log"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    for folder in ["a", "b"] {
        ingest_panel_log(folder);
    }
    assert_eq!(
        lake_rows(&other),
        two,
        "both panel.log files are in the lake"
    );

    // The same file again: its files are replaced, not added to.
    ingest_panel_log("a");
    assert_eq!(lake_rows(&other), two, "a repeated file doubled its rows");
}
