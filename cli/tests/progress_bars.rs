//! Progress bars are drawn where people wait, on a terminal, and nowhere else: `demo`,
//! `ingest-file` and `compact` run once under a pseudo-terminal (`script`) and show their bars,
//! and once with standard error piped, where no bar and no control sequence appears.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_alarmlake");

/// What `args` printed when run on a pseudo-terminal (both streams, as the terminal saw them).
fn on_terminal(args: &[&str]) -> String {
    let command = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .output()
        .expect("script (util-linux) runs");
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of `args` run with it piped.
fn piped(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn demo_args(lake: &Path, chart: &Path) -> Vec<String> {
    [
        "demo", "--homes", "2", "--days", "2", "--budget", "20", "--lake",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        lake.display().to_string(),
        "--chart".into(),
        chart.display().to_string(),
    ])
    .collect()
}

#[test]
fn bars_show_on_a_terminal_and_stay_out_of_pipes() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script`: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let chart = dir.path().join("chart.svg");
    let args = demo_args(&lake, &chart);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let shown = on_terminal(&args);
    assert!(
        shown.contains(" events") && shown.contains("of at most 20 s"),
        "{shown}"
    );
    let quiet = piped(&args);
    assert!(
        !quiet.contains("of at most") && !quiet.contains('\u{1b}'),
        "{quiet}"
    );

    let lake_arg = lake.display().to_string();
    let compact = ["compact", "--lake", &lake_arg, "--older-than", "1h"];
    let shown = on_terminal(&compact);
    assert!(shown.contains("compacting: "), "{shown}");
    let quiet = piped(&compact);
    assert!(
        !quiet.contains("compacting: ") && !quiet.contains('\u{1b}'),
        "{quiet}"
    );

    let input = dir.path().join("events.ndjson");
    let lines = Command::new(BIN)
        .args(["generate", "--homes", "2", "--days", "1"])
        .output()
        .unwrap();
    std::fs::write(&input, &lines.stdout).unwrap();
    let other = dir.path().join("other").display().to_string();
    let input_arg = input.display().to_string();
    let ingest = ["ingest-file", "--lake", &other, &input_arg];
    let shown = on_terminal(&ingest);
    assert!(shown.contains(" eta "), "{shown}");
    let quiet = piped(&ingest);
    assert!(
        !quiet.contains(" eta ") && !quiet.contains('\u{1b}'),
        "{quiet}"
    );
}
