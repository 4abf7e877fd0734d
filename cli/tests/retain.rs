//! `alarmlake retain` on a lake whose events end now: a dry run removes nothing, a real run
//! removes exactly the partitions whose hour ended before the window from the tables' Delta
//! logs (their files wait for vacuum), and nothing outside the tables is touched. The same test runs on a local folder and on S3 served
//! by moto on 127.0.0.1 (`scripts/test.sh` starts it and sets `ALARMLAKE_TEST_S3_ENDPOINT` and
//! `ALARMLAKE_TEST_PYTHON`).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use support::{S3Lake, committed_files, credentials, stdout_of};

/// Files that are not partition files, put in the lake before the test: retention must leave
/// them alone.
const FOREIGN: [(&str, &str); 2] = [
    ("_alarmlake/checkpoints/app/stream/shard-0.json", "{}"),
    ("notes/readme.txt", "mine"),
];

/// `alarmlake ARGS`, with the emulator's credentials and `endpoint` for S3 lakes.
fn alarmlake(args: &[&str], endpoint: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(command.args(args));
    if let Some(endpoint) = endpoint {
        command.args(["--s3-endpoint", endpoint]);
    }
    command
}

/// Three days of two homes (every table), up to the current hour, ingested into `lake`.
fn fill(dir: &Path, lake: &str, endpoint: Option<&str>) {
    let start = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(3);
    let config = GeneratorConfig {
        homes: 2,
        days: 3,
        seed: 11,
        format: Format::Mixed,
        start,
    };
    let mut bytes = Vec::new();
    write_all(&config, &mut bytes).unwrap();
    let input = dir.join("input.ndjson");
    std::fs::write(&input, &bytes).unwrap();
    let input = input.to_string_lossy();
    stdout_of(&mut alarmlake(
        &["ingest-file", "--lake", lake, "--no-progress", &input],
        endpoint,
    ));
}

/// When the hour partition of a file path ends; `None` outside the partition folders.
fn partition_end(path: &str) -> Option<DateTime<Utc>> {
    let mut parts = path.split('/');
    let (_table, date, hour) = (parts.next()?, parts.next()?, parts.next()?);
    let date = NaiveDate::parse_from_str(date.strip_prefix("date=")?, "%Y-%m-%d").ok()?;
    let hour: u32 = hour.strip_prefix("hour=")?.parse().ok()?;
    Some(date.and_hms_opt(hour, 0, 0)?.and_utc() + Duration::hours(1))
}

/// Runs the whole scenario against a lake whose visible files `list` returns (paths relative
/// to the lake root: the tables' committed files, and everything outside the tables). The
/// [`FOREIGN`] files must already be in it.
fn check(lake: &str, endpoint: Option<&str>, list: &dyn Fn() -> BTreeSet<String>) {
    let keep = Duration::hours(36);
    let before = list();
    let old = |cutoff: DateTime<Utc>| {
        before
            .iter()
            .filter(|f| partition_end(f).is_some_and(|end| end <= cutoff))
            .count()
    };
    assert!(
        old(Utc::now() - keep) > 10,
        "the lake must have old partitions"
    );
    for (path, _) in FOREIGN {
        assert!(before.contains(path), "{path} is missing");
    }

    // A window under an hour could delete the partition being written: refused.
    let short = alarmlake(&["retain", "--lake", lake, "--keep", "30m"], endpoint)
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("at least one hour"),
        "{}",
        String::from_utf8_lossy(&short.stderr)
    );

    let dry = stdout_of(&mut alarmlake(
        &["retain", "--lake", lake, "--keep", "36h", "--dry-run"],
        endpoint,
    ));
    assert!(dry.contains("would remove alarm_events/date="), "{dry}");
    assert!(dry.contains("would remove mode_events/date="), "{dry}");
    assert_eq!(list(), before, "a dry run removes nothing");

    let earliest = Utc::now() - keep;
    let out = stdout_of(&mut alarmlake(
        &["retain", "--lake", lake, "--keep", "36h"],
        endpoint,
    ));
    let latest = Utc::now() - keep;
    let after = list();
    for file in &before {
        match partition_end(file) {
            // Not a partition file: never touched.
            None => assert!(after.contains(file), "{file} was deleted"),
            Some(end) if end <= earliest => assert!(!after.contains(file), "{file} was kept"),
            Some(end) if end > latest => assert!(after.contains(file), "{file} was deleted"),
            // The hour boundary passed while the command ran: either is right.
            Some(_) => {}
        }
    }
    assert!(after.is_subset(&before));
    let deleted = before.len() - after.len();
    assert!(
        out.contains("removed ") && out.contains(&format!("({deleted} files")),
        "{out}"
    );

    // What is left still answers, and holds nothing older than the window.
    let cutoff = earliest.format("%Y-%m-%dT%H:00:00Z").to_string();
    let count = stdout_of(&mut alarmlake(
        &[
            "sql",
            "--lake",
            lake,
            "--format",
            "csv",
            "-c",
            &format!(
                "SELECT count(*) AS old FROM alarm_events WHERE event_time < TIMESTAMP '{cutoff}' - INTERVAL '1 hour'"
            ),
        ],
        endpoint,
    ));
    assert_eq!(count.lines().nth(1), Some("0"), "{count}");
}

#[test]
fn retain_deletes_only_expired_partitions_of_a_local_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_string_lossy().into_owned();
    fill(dir.path(), &lake_arg, None);
    for (path, text) in FOREIGN {
        let file = lake.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let on_disk = files_under(&lake);
    check(&lake_arg, None, &|| visible(&lake));
    assert!(
        on_disk.is_subset(&files_under(&lake)),
        "removed files stay for readers of older snapshots until vacuum"
    );
}

#[test]
fn retain_deletes_only_expired_partitions_of_an_s3_lake() {
    let Some(s3) = S3Lake::create("retain") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), &s3.url(), Some(&s3.endpoint));
    for (path, text) in FOREIGN {
        s3.put(path, text);
    }
    let copy = dir.path().join("copy");
    check(&s3.url(), Some(&s3.endpoint), &|| {
        let _ = std::fs::remove_dir_all(&copy);
        s3.download(&copy);
        visible(&copy)
    });
}

/// What a reader of `lake` sees: the tables' committed files and every file outside the
/// tables, relative to the lake root.
fn visible(lake: &Path) -> BTreeSet<String> {
    let tables = [
        "alarm_events",
        "mode_events",
        "bulk_records",
        "camera_media",
        "dead_letters",
    ];
    let committed = committed_files(lake)
        .into_iter()
        .map(|f| f.strip_prefix(lake).unwrap().to_string_lossy().into_owned());
    let outside = files_under(lake)
        .into_iter()
        .filter(|f| !tables.iter().any(|t| f.starts_with(&format!("{t}/"))));
    committed.chain(outside).collect()
}

/// Every file under `dir`, recursively, relative to it.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                files.insert(relative.to_string_lossy().into_owned());
            }
        }
    }
    files
}
