//! `alarmlake report --chart` and `alarmlake demo` as a user runs them: real lakes from the
//! generator, charts decoded back (PNG) or read (SVG), and the demo's lake checked by SQL.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

fn alarmlake(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .output()
        .expect("binary runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failure(out: Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Width, height and the set of colours of a PNG file.
fn decode_png(path: &Path) -> (u32, u32, HashSet<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let colours = pixels[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, colours)
}

#[test]
fn reports_draw_charts_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(alarmlake(
        d,
        &[
            "generate",
            "--homes",
            "2",
            "--days",
            "3",
            "--format",
            "mixed",
            "--out",
            "in.ndjson",
        ],
    ));
    ok(alarmlake(d, &["ingest-file", "--no-progress", "in.ndjson"]));

    ok(alarmlake(d, &["report", "volume", "--chart", "volume.png"]));
    let (width, height, colours) = decode_png(&d.join("volume.png"));
    assert_eq!((width, height), (1200, 620));
    // The keypad, the biggest kind, is the first series colour; text and axes add many more.
    assert!(colours.contains(&[0, 114, 178]), "keypad bars are drawn");
    assert!(
        colours.len() > 20,
        "text is anti-aliased: {}",
        colours.len()
    );

    ok(alarmlake(
        d,
        &["report", "activity", "--chart", "activity.svg"],
    ));
    let svg = std::fs::read_to_string(d.join("activity.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    for label in ["Sun", "Sat", "00", "23", "hour of day"] {
        assert!(
            svg.lines().any(|line| line.trim() == label),
            "{label} is written"
        );
    }
    // 7 × 24 cells, 64 scale steps and the background.
    assert!(
        svg.matches("<rect").count() >= 7 * 24 + 64,
        "cells are drawn"
    );

    let refused = failure(alarmlake(d, &["report", "zones", "--chart", "zones.png"]));
    assert!(refused.contains("has no chart"), "{refused}");
    let refused = failure(alarmlake(d, &["report", "volume", "--chart", "volume.jpg"]));
    assert!(refused.contains(".png or .svg"), "{refused}");
    assert!(
        !refused.contains("rows in"),
        "refused before the query runs"
    );
}

#[test]
fn the_demo_builds_a_lake_and_answers_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = ["demo", "--homes", "2", "--days", "2", "--budget", "600"];
    let out = ok(alarmlake(d, &args));
    for section in [
        "Events per day",
        "Arming and disarming at home-0001",
        "Alarms",
        "Devices silent",
        "Next, try:",
    ] {
        assert!(out.contains(section), "{section} in:\n{out}");
    }
    assert!(!out.contains("budget ran out"), "{out}");
    let (width, height, _) = decode_png(&d.join("alarmlake-activity.png"));
    assert_eq!((width, height), (1100, 440));

    // Every generated line is in the lake: the two days of two homes, nothing rejected.
    let count = |d: &Path| {
        let csv = ok(alarmlake(
            d,
            &[
                "sql",
                "--format",
                "csv",
                "-c",
                "SELECT (SELECT count(*) FROM alarm_events) + (SELECT count(*) FROM mode_events) \
                 + (SELECT count(*) FROM camera_media) AS n, (SELECT count(*) FROM dead_letters) AS bad",
            ],
        ));
        csv.lines().nth(1).unwrap().to_string()
    };
    // The demo's days end today; it says where they start.
    let first_day = out
        .split(" days from ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the first day is printed");
    let start = format!("{first_day}T00:00:00Z");
    let generated = ok(alarmlake(
        d,
        &[
            "generate", "--homes", "2", "--days", "2", "--seed", "7", "--format", "mixed",
            "--start", &start,
        ],
    ))
    .lines()
    .count();
    assert_eq!(count(d), format!("{generated},0"));

    // A second run replaces the demo's own lake instead of doubling it.
    ok(alarmlake(d, &args));
    assert_eq!(count(d), format!("{generated},0"));

    // It never touches a folder it did not make.
    std::fs::create_dir(d.join("mine")).unwrap();
    std::fs::write(d.join("mine/notes.txt"), "keep").unwrap();
    let refused = failure(alarmlake(
        d,
        &["demo", "--lake", "mine", "--homes", "1", "--days", "1"],
    ));
    assert!(refused.contains("did not write"), "{refused}");
    assert!(d.join("mine/notes.txt").is_file());
}

#[test]
fn a_demo_out_of_time_stops_early_and_still_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(alarmlake(
        dir.path(),
        &["demo", "--homes", "50", "--days", "30", "--budget", "0"],
    ));
    assert!(out.contains("budget ran out"), "{out}");
    assert!(out.contains("Events per day"), "{out}");
}
