//! `alarmlake compact` on a lake of small files, as a consumer flushing often leaves it:
//! queries answer the same before and after, duplicate rows (a file replayed under another name
//! in a lake an earlier alarmlake wrote, then converted) are removed and counted, files no
//! commit references and files that are not the lake's are left alone, a second run does
//! nothing, and DuckDB reads the result through the Delta log. A crash test kills compaction at
//! random points and checks that every stream position is in the lake exactly once at every
//! moment; another repeats queries while compaction commits. The last test runs on S3 served by
//! moto on 127.0.0.1.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use chrono::{TimeZone, Utc};
use support::{
    S3Lake, committed_files, credentials, kill_schedule, lake_check, parquet_files, run_ok,
    sql_csv, stdout_of, tool,
};

const TABLES: [&str; 5] = [
    "alarm_events",
    "mode_events",
    "bulk_records",
    "camera_media",
    "dead_letters",
];

fn alarmlake(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    credentials(command.args(args));
    command
}

/// A day of `homes` homes (every table, plus some undecodable lines for dead letters),
/// ingested in batches of at most `max_rows` rows per hour: many small files per partition.
fn fill(dir: &Path, lake: &str, homes: usize, max_rows: usize, extra: &[&str]) {
    let config = GeneratorConfig {
        homes,
        days: 1,
        seed: 5,
        format: Format::Mixed,
        start: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
    };
    let mut bytes = Vec::new();
    write_all(&config, &mut bytes).unwrap();
    bytes.extend_from_slice(b"{\"panel\": broken json\n\x00\x01 not a line\n");
    let input = dir.join("input.ndjson");
    std::fs::write(&input, &bytes).unwrap();
    let max_rows = max_rows.to_string();
    let mut args = vec![
        "ingest-file",
        "--lake",
        lake,
        "--no-progress",
        "--max-rows",
        &max_rows,
    ];
    args.extend_from_slice(extra);
    args.push(input.to_str().unwrap());
    run_ok(&mut alarmlake(&args));
}

/// The number of partition folders holding `files`.
fn partitions(files: &[PathBuf]) -> usize {
    let folders: std::collections::BTreeSet<&Path> =
        files.iter().filter_map(|f| f.parent()).collect();
    folders.len()
}

/// Every row's position in every table, and how often it occurs.
fn positions(lake: &Path) -> BTreeMap<String, usize> {
    let mut all = BTreeMap::new();
    for table in TABLES {
        let sql = format!(
            "SELECT '{table}', stream, shard_id, sequence_number, sub_sequence_number, event_index FROM {table}"
        );
        let csv = stdout_of(&mut sql_csv(lake, &sql));
        for line in csv.lines().skip(1) {
            *all.entry(line.to_string()).or_insert(0) += 1;
        }
    }
    all
}

/// The answers compaction must not change: ready-made reports and whole-table aggregates.
fn answers(lake: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for report in ["volume", "arming", "alarms", "zones", "power", "devices"] {
        out.push(stdout_of(&mut alarmlake(&[
            "report",
            report,
            "--lake",
            lake.to_str().unwrap(),
            "--format",
            "csv",
        ])));
    }
    out.push(stdout_of(&mut sql_csv(
        lake,
        "SELECT site, date, hour, count(*), min(event_time), max(event_time), sum(length(raw)) \
         FROM alarm_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )));
    out.push(stdout_of(&mut sql_csv(
        lake,
        "SELECT reason, count(*) FROM dead_letters GROUP BY 1 ORDER BY 1",
    )));
    out
}

fn compact(lake: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "compact",
        "--lake",
        lake.to_str().unwrap(),
        "--older-than",
        "1h",
    ];
    args.extend_from_slice(extra);
    stdout_of(&mut alarmlake(&args))
}

/// `alarmlake compact` started in the background, pausing `pause_ms` after every step.
fn slow_compaction(lake: &Path, pause_ms: &str) -> std::process::Child {
    alarmlake(&[
        "compact",
        "--lake",
        lake.to_str().unwrap(),
        "--older-than",
        "1h",
    ])
    .env("ALARMLAKE_TEST_PAUSE_COMPACT_MS", pause_ms)
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap()
}

/// The number in "N duplicate rows removed" of compact's summary.
fn duplicates_removed(summary: &str) -> usize {
    let last = summary.lines().last().unwrap_or_default();
    let before = last.split(" duplicate rows removed").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Makes `lake` what an earlier alarmlake left: no Delta logs, then `lake convert`.
fn convert(lake: &Path) {
    for table in TABLES {
        let _ = std::fs::remove_dir_all(lake.join(table).join("_delta_log"));
    }
    run_ok(&mut alarmlake(&[
        "lake",
        "convert",
        "--lake",
        lake.to_str().unwrap(),
    ]));
}

#[test]
fn compaction_merges_small_files_and_removes_duplicates_without_changing_answers() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    fill(dir.path(), lake.to_str().unwrap(), 2, 150, &[]);
    let unique_positions = positions(&lake);
    let answers_before = answers(&lake);
    let files_before = committed_files(&lake);
    assert!(files_before.len() > 100, "{} files", files_before.len());
    assert_eq!(parquet_files(&lake), files_before, "every file committed");

    // Duplicates: three files replayed next to themselves under other names, in a lake an
    // earlier alarmlake wrote (no log), which is then converted.
    let copies: Vec<PathBuf> = files_before
        .iter()
        .filter(|f| f.to_string_lossy().contains("alarm_events"))
        .step_by(20)
        .take(3)
        .cloned()
        .collect();
    for file in &copies {
        let copy = file.with_file_name(format!(
            "replayed-{}",
            file.file_name().unwrap().to_string_lossy()
        ));
        std::fs::copy(file, copy).unwrap();
    }
    convert(&lake);
    let with_copies = positions(&lake);
    let copied_rows: usize = with_copies.values().sum::<usize>() - unique_positions.len();
    assert!(copied_rows > 0);

    // A file no commit references (a crashed flush's), and a file that is not the lake's.
    let orphan = files_before
        .iter()
        .find(|f| f.to_string_lossy().contains("mode_events"))
        .unwrap()
        .with_file_name("crashed-flush.parquet");
    std::fs::copy(&files_before[0], &orphan).unwrap();
    let foreign = orphan.with_file_name("notes.txt");
    std::fs::write(&foreign, "mine").unwrap();
    assert_eq!(positions(&lake), with_copies, "the orphan is invisible");

    let committed = committed_files(&lake);
    let dry = compact(&lake, &["--dry-run"]);
    assert!(
        dry.contains("would merge alarm_events/date=2026-03-01/hour="),
        "{dry}"
    );
    assert!(dry.contains("dry run: would merge"), "{dry}");
    assert_eq!(committed_files(&lake), committed);

    let summary = compact(&lake, &[]);
    assert_eq!(duplicates_removed(&summary), copied_rows, "{summary}");
    let files_after = committed_files(&lake);
    assert_eq!(partitions(&files_after), partitions(&files_before));
    assert_eq!(
        files_after.len(),
        partitions(&files_after),
        "one file per partition"
    );
    assert!(orphan.exists() && !files_after.contains(&orphan));
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "mine");
    assert!(
        files_before.iter().all(|f| f.exists()),
        "removed files stay for older snapshots until vacuum"
    );
    assert_eq!(positions(&lake), unique_positions, "each position once");
    assert_eq!(answers(&lake), answers_before);

    // Every output is sorted by (site, event_time) and declares it, as the writer's files do.
    let merged = files_after
        .iter()
        .find(|f| f.to_string_lossy().contains("compacted-"))
        .expect("compacted files");
    assert_sorted_by_site_and_time(merged);

    // Nothing left to do, and DuckDB reads the compacted tables through their logs with the
    // same counts.
    let again = compact(&lake, &[]);
    assert!(again.contains("compacted 0 partitions"), "{again}");
    assert_eq!(committed_files(&lake), files_after);
    if let Some(python) = tool("ALARMLAKE_TEST_PYTHON") {
        let counts = stdout_of(
            Command::new(python)
                .arg(lake_check())
                .arg("counts")
                .arg(&lake),
        );
        let counts: serde_json::Value = serde_json::from_str(&counts).unwrap();
        for table in TABLES {
            let duckdb: u64 = counts["counts"][table]
                .as_object()
                .map_or(0, |parts| parts.values().map(|n| n.as_u64().unwrap()).sum());
            let ours = unique_positions
                .keys()
                .filter(|k| k.starts_with(&format!("{table},")))
                .count();
            assert_eq!(duckdb as usize, ours, "{table}");
        }
    }
}

#[test]
fn compaction_killed_at_random_points_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    fill(dir.path(), lake.to_str().unwrap(), 1, 150, &[]);
    let unique_positions = positions(&lake);
    let answers_before = answers(&lake);
    let files_before = committed_files(&lake).len();

    let mut next = kill_schedule();
    let mut interrupted = 0;
    for round in 0..6 {
        let mut child = slow_compaction(&lake, "15");
        let wait = Duration::from_millis(100 + next() % 1500);
        let started = Instant::now();
        while started.elapsed() < wait && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        eprintln!("round {round}: killed after {wait:?} (finished first: {finished})");
        interrupted += usize::from(!finished);
        // At every moment, not only after a finishing run.
        assert_eq!(positions(&lake), unique_positions, "round {round}");
    }
    assert!(interrupted >= 3, "only {interrupted} kills landed in a run");
    compact(&lake, &[]);
    assert_eq!(
        positions(&lake),
        unique_positions,
        "each position exactly once"
    );
    assert_eq!(answers(&lake), answers_before);
    let files_after = committed_files(&lake);
    assert_eq!(
        files_after.len(),
        partitions(&files_after),
        "one file per partition"
    );
    assert!(files_after.len() < files_before);
}

#[test]
fn queries_during_compaction_answer_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    fill(dir.path(), lake.to_str().unwrap(), 1, 150, &[]);
    let sql = "SELECT date, hour, count(*), count(DISTINCT sequence_number), sum(length(raw)) \
               FROM alarm_events GROUP BY 1, 2 ORDER BY 1, 2";
    let before = stdout_of(&mut sql_csv(&lake, sql));
    let mut child = slow_compaction(&lake, "20");
    let mut queries = 0;
    while child.try_wait().unwrap().is_none() {
        assert_eq!(
            stdout_of(&mut sql_csv(&lake, sql)),
            before,
            "query {queries}"
        );
        queries += 1;
    }
    assert!(child.wait().unwrap().success());
    assert!(queries >= 3, "only {queries} queries ran during compaction");
    assert_eq!(stdout_of(&mut sql_csv(&lake, sql)), before);
    let files = committed_files(&lake);
    assert_eq!(files.len(), partitions(&files));
}

/// Checks that a file's rows are in (site, event_time) order and that its footer says so.
fn assert_sorted_by_site_and_time(path: &Path) {
    use arrow::array::{AsArray, RecordBatch};
    use arrow::datatypes::TimestampMicrosecondType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let sorting = builder.metadata().row_group(0).sorting_columns().cloned();
    let schema = builder.schema().clone();
    let declared: Vec<&str> = sorting
        .unwrap_or_default()
        .iter()
        .map(|c| schema.field(c.column_idx as usize).name().as_str())
        .collect();
    assert_eq!(declared, ["site", "event_time"]);
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    let mut rows = Vec::new();
    for batch in &batches {
        let site = batch.column_by_name("site").unwrap().as_string::<i32>();
        let time = batch
            .column_by_name("event_time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        rows.extend((0..batch.num_rows()).map(|i| (site.value(i).to_string(), time.value(i))));
    }
    assert!(rows.len() > 1);
    assert!(
        rows.windows(2).all(|w| w[0] <= w[1]),
        "{} is not sorted",
        path.display()
    );
}

#[test]
fn compaction_on_s3_uses_the_same_protocol() {
    let Some(s3) = S3Lake::create("compact") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = s3.url();
    fill(dir.path(), &url, 1, 500, &["--s3-endpoint", &s3.endpoint]);
    let local = dir.path().join("before");
    s3.download(&local);
    let unique_positions = positions(&local);
    let files_before = committed_files(&local).len();
    let summary = stdout_of(&mut alarmlake(&[
        "compact",
        "--lake",
        &url,
        "--s3-endpoint",
        &s3.endpoint,
        "--older-than",
        "1h",
    ]));
    assert!(summary.contains("0 duplicate rows removed"), "{summary}");
    let after = dir.path().join("after");
    s3.download(&after);
    assert_eq!(positions(&after), unique_positions);
    let files_after = committed_files(&after);
    assert_eq!(
        files_after.len(),
        partitions(&files_after),
        "one file per partition"
    );
    assert!(files_after.len() < files_before);
    assert!(
        !s3.keys()
            .iter()
            .any(|k| k.starts_with("_alarmlake/compaction/")),
        "the lock is released"
    );
}
