//! Schema drift end to end: new fields in relay dicts and MODE events reach the `extra`
//! column and can be queried with SQL's JSON functions; a lake that mixes files written before
//! `extra` existed (schema version 1) with current files stays queryable, by alarmlake, by
//! compaction, and by DuckDB reading by column name.

mod support;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use support::{parquet_files, run_ok, sql_csv, stdout_of, tool};

const KEYPAD: &str = r#"{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": false, "backlight_on": false, "battery_low": false, "beeps": 0, "bitfield": "[10000001000000003A--]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": true, "text": "****DISARMED****  Ready to Arm  ", "time": "TIME", "zone_bypassed": false}"#;
const MODE: &str = r#"{"homeId":173,"timestamp":"TIME","eventType":"sensor","eventData":{"a":1},"originDeviceId":260}"#;

fn ingest(lake: &Path, lines: &[String], name: &str) -> String {
    let input = lake.parent().unwrap().join(name);
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    let output = run_ok(
        command
            .args(["ingest-file", "--no-progress", "--lake"])
            .arg(lake)
            .arg(&input),
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Rewrites `file` as the previous version wrote it: no `extra` column, schema version 1.
fn downgrade_to_version_1(file: &Path) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(file).unwrap()).unwrap();
    let metadata: Vec<KeyValue> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|kv| kv.key != "ARROW:schema")
        .map(|kv| {
            if kv.key == "alarmlake.schema_version" {
                KeyValue::new(kv.key, "1".to_string())
            } else {
                kv
            }
        })
        .collect();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    let index = batches[0].schema().index_of("extra").unwrap();
    let old: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.remove_column(index);
            b
        })
        .collect();
    let schema = old[0].schema();
    let schema = Arc::new(arrow::datatypes::Schema::new(schema.fields().clone()));
    let old: Vec<RecordBatch> = old
        .into_iter()
        .map(|b| b.with_schema(schema.clone()).unwrap())
        .collect();
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(metadata))
        .build();
    let mut writer =
        ArrowWriter::try_new(File::create(file).unwrap(), schema, Some(props)).unwrap();
    for batch in &old {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
}

fn csv(lake: &Path, sql: &str) -> Vec<String> {
    stdout_of(&mut sql_csv(lake, sql))
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn new_fields_are_queryable_and_old_files_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    // Version 1 files: the day before the relays were upgraded.
    let old: Vec<String> = (0..20)
        .map(|i| KEYPAD.replace("TIME", &format!("2026-03-01T10:{i:02}:00")))
        .chain((0..5).map(|i| MODE.replace("TIME", &format!("2026-03-01T10:{i:02}:00Z"))))
        .collect();
    ingest(&lake, &old, "old.ndjson");
    let old_files = parquet_files(&lake);
    assert_eq!(old_files.len(), 2);
    // A lake the previous version wrote had no Delta log: drop it, and convert the lake.
    for file in &old_files {
        downgrade_to_version_1(file);
    }
    for table in ["alarm_events", "mode_events", "dead_letters"] {
        let _ = std::fs::remove_dir_all(lake.join(table).join("_delta_log"));
    }
    let converted = stdout_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"))
            .args(["lake", "convert", "--lake"])
            .arg(&lake),
    );
    assert!(
        converted.contains("alarm_events: registered 1 file")
            && converted.contains("mode_events: registered 1 file"),
        "{converted}"
    );
    // After the upgrade: a new field, a field whose type changed, and a new MODE attribute,
    // in the same hour as the old files and in the next.
    let new: Vec<String> = (0..10)
        .map(|i| {
            KEYPAD
                .replace("TIME", &format!("2026-03-01T1{}:30:00", i % 2))
                .replace(
                    r#""zone_bypassed": false}"#,
                    &format!(r#""zone_bypassed": false, "zone_name_v2": "Door {i}"}}"#),
                )
                .replace(
                    r#""beeps": 0"#,
                    if i == 0 {
                        r#""beeps": "two""#
                    } else {
                        r#""beeps": 0"#
                    },
                )
        })
        .chain((0..4).map(|i| {
            MODE.replace("TIME", &format!("2026-03-01T11:0{i}:00Z"))
                .replace(
                    r#""originDeviceId":260}"#,
                    r#""originDeviceId":260,"originDeviceName":"Hall"}"#,
                )
        }))
        .collect();
    let log = ingest(&lake, &new, "new.ndjson");
    assert!(
        log.contains("schema drift: 14 unknown fields and 1 fields of a changed type"),
        "{log}"
    );

    // Old rows have no extra; new ones do, and JSON functions reach into it.
    assert_eq!(
        csv(&lake, "SELECT count(*), count(extra) FROM alarm_events"),
        ["30,10"]
    );
    assert_eq!(
        csv(
            &lake,
            "SELECT json_get_str(extra, 'zone_name_v2') AS door, json_get_str(extra, 'beeps') AS beeps \
                    FROM alarm_events WHERE extra IS NOT NULL ORDER BY 1 LIMIT 2"
        ),
        ["Door 0,two", "Door 1,"]
    );
    assert_eq!(
        csv(
            &lake,
            "SELECT count(*) FILTER (WHERE json_get_str(extra, 'originDeviceName') = 'Hall'), count(*) FROM mode_events"
        ),
        ["4,9"]
    );
    // Reports and the dead-letter table do not mind either: nothing was rejected.
    assert_eq!(csv(&lake, "SELECT count(*) FROM dead_letters"), ["0"]);
    let report = stdout_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"))
            .args(["report", "volume", "--format", "csv", "--lake"])
            .arg(&lake),
    );
    assert!(report.contains("alarm_events"), "{report}");

    // Compaction merges old and new files of an hour into one current file.
    let mut compact = std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    run_ok(
        compact
            .args(["compact", "--older-than", "1h", "--lake"])
            .arg(&lake),
    );
    let history = stdout_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_alarmlake"))
            .args([
                "lake",
                "history",
                "--table",
                "alarm_events",
                "--limit",
                "1",
                "--lake",
            ])
            .arg(&lake),
    );
    assert!(history.contains("OPTIMIZE  +1 -2 files"), "{history}");
    assert_eq!(
        csv(&lake, "SELECT count(*), count(extra) FROM alarm_events"),
        ["30,10"]
    );

    // DuckDB reads the lake by column name, as Athena and Spark do.
    if let Some(python) = tool("ALARMLAKE_TEST_PYTHON") {
        // mode_events still mixes a version 1 file (hour 10) with a current one (hour 11); no
        // compaction removed any of its files, so a bare glob reads what the log holds.
        let script = format!(
            "import duckdb; print(duckdb.sql(\"SELECT count(*), count(extra) FROM read_parquet('{}/mode_events/**/*.parquet', hive_partitioning=true, union_by_name=true)\").fetchone())",
            lake.display()
        );
        let out = stdout_of(std::process::Command::new(python).args(["-c", &script]));
        assert_eq!(out.trim(), "(9, 4)");
    }
}
