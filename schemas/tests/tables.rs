//! The Arrow tables built from decoded outcomes: schemas, column names and values.

mod common;

use alarmlake_schemas::tables::{SCHEMA_VERSION, SCHEMA_VERSION_KEY};
use alarmlake_schemas::{BulkPolicy, Decoder, DecoderConfig, LakeBatches, Table};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType, UInt32Type};
use common::*;

fn build(decoder: &Decoder, records: &[alarmlake_schemas::RawRecord]) -> Vec<(Table, RecordBatch)> {
    let mut batches = LakeBatches::new(arrival());
    for record in records {
        for outcome in decoder.decode(record) {
            batches.append(&record.position, &outcome);
        }
    }
    batches.finish().unwrap()
}

fn batch(batches: &[(Table, RecordBatch)], table: Table) -> &RecordBatch {
    &batches
        .iter()
        .find(|(t, _)| *t == table)
        .unwrap_or_else(|| panic!("no {table} batch"))
        .1
}

#[test]
fn every_table_has_common_columns_and_version() {
    for table in Table::ALL {
        let schema = table.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        for common in [
            "site",
            "event_time",
            "arrival_time",
            "ingest_time",
            "stream",
            "shard_id",
            "sequence_number",
            "sub_sequence_number",
            "event_index",
            "partition_key",
        ] {
            assert!(names.contains(&common), "{table} lacks {common}");
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{table} has duplicate columns");
        assert_eq!(
            schema
                .metadata()
                .get(SCHEMA_VERSION_KEY)
                .map(String::as_str),
            Some(SCHEMA_VERSION)
        );
        assert_eq!(Table::from_name(table.name()), Some(table));
    }
}

/// Every key of the AlarmDecoder `dict()` messages in the fixture (keypad, RFX, EXP, REL, AUI,
/// LRR: the package's own field names) is a column of `alarm_events`.
#[test]
fn alarm_events_use_dict_names() {
    let schema = Table::AlarmEvents.schema();
    let mut keys = std::collections::BTreeSet::<String>::new();
    for line in fixture("dict-records.ndjson")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let message: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).expect("a dict() message");
        keys.extend(message.keys().cloned());
    }
    assert_eq!(
        keys.len(),
        39,
        "the fixture covers every message kind's keys"
    );
    for key in keys {
        assert!(
            schema.field_with_name(&key).is_ok(),
            "alarm_events lacks the dict() key {key}"
        );
    }
}

#[test]
fn formats_md_lines_become_rows() {
    let text = fixture("formats-md.txt");
    let records: Vec<_> = text
        .lines()
        .enumerate()
        .map(|(n, l)| line_record(l, n as u64 + 1))
        .collect();
    let batches = build(&Decoder::default(), &records);
    let alarms = batch(&batches, Table::AlarmEvents);
    assert_eq!(
        alarms.num_rows(),
        11,
        "11 AlarmDecoder lines; !Ready is chatter"
    );
    let mode = batch(&batches, Table::ModeEvents);
    assert_eq!(mode.num_rows(), 1);
    assert!(!batches.iter().any(|(t, _)| *t == Table::DeadLetters));

    let col = |name: &str| {
        alarms
            .column_by_name(name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let message_type = col("message_type").as_string::<i32>();
    assert_eq!(message_type.value(0), "keypad");
    assert_eq!(message_type.value(6), "relay");
    assert!(col("ready").as_boolean().value(0));
    assert!(
        col("ready").is_null(5),
        "expander rows have no keypad flags"
    );
    assert_eq!(col("beeps").as_primitive::<Int32Type>().value(1), 3);
    assert_eq!(col("arm_state").as_string::<i32>().value(1), "stay");
    assert_eq!(col("zone").as_primitive::<Int32Type>().value(2), 1);
    assert_eq!(col("panel_type").as_string::<i32>().value(4), "dsc");
    assert_eq!(col("address").as_primitive::<Int64Type>().value(5), 7);
    assert_eq!(col("value").as_primitive::<Int64Type>().value(7), 0x80);
    assert!(col("loop4").as_boolean().value(7));
    assert_eq!(col("serial_number").as_string::<i32>().value(7), "0180036");
    assert_eq!(col("event_code").as_string::<i32>().value(8), "0x441");
    assert_eq!(col("event_code").as_string::<i32>().value(9), "0x401");
    assert_eq!(col("event_data_type").as_string::<i32>().value(9), "U");
    assert_eq!(col("aui_value").as_string::<i32>().value(10), "0201ff");
    assert_eq!(col("raw").as_string::<i32>().value(5), "!EXP:07,01,01");
    assert_eq!(
        col("sequence_number").as_string::<i32>().value(5),
        "6",
        "line number"
    );
    assert_eq!(col("shard_id").as_string::<i32>().value(5), "fixture.txt");
    assert_eq!(col("event_index").as_primitive::<UInt32Type>().value(5), 0);

    let mode_col = |name: &str| {
        mode.column_by_name(name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        mode_col("home_id").as_primitive::<Int64Type>().value(0),
        173
    );
    assert_eq!(mode_col("site").as_string::<i32>().value(0), "173");
    assert_eq!(mode_col("event_data").as_string::<i32>().value(0), "{}");
    let event_time = mode_col("event_time")
        .as_primitive::<TimestampMicrosecondType>()
        .value(0);
    assert_eq!(event_time, 1_451_949_969_521_000);
}

#[test]
fn rejections_become_dead_letter_rows_and_bulk_rows_keep_bytes() {
    let records = vec![
        kinesis_record(b"!RFX:bad", Some("home-1")),
        kinesis_record(&[0xff, 0xfe], Some("home-2")),
    ];
    let batches = build(&Decoder::default(), &records);
    let dead = batch(&batches, Table::DeadLetters);
    assert_eq!(dead.num_rows(), 2);
    let reasons = dead.column_by_name("reason").unwrap().as_string::<i32>();
    assert_eq!(
        (reasons.value(0), reasons.value(1)),
        ("malformed_rf", "invalid_utf8")
    );
    assert_eq!(
        dead.column_by_name("raw")
            .unwrap()
            .as_binary::<i32>()
            .value(1),
        &[0xff, 0xfe]
    );
    assert_eq!(
        dead.column_by_name("site")
            .unwrap()
            .as_string::<i32>()
            .value(1),
        "home-2"
    );

    let bulk = Decoder::new(DecoderConfig {
        bulk: BulkPolicy::Always,
        ..DecoderConfig::default()
    });
    let batches = build(&bulk, &records);
    let rows = batch(&batches, Table::BulkRecords);
    assert_eq!(rows.num_rows(), 2);
    assert_eq!(
        rows.column_by_name("content_type")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "text"
    );
    assert_eq!(
        rows.column_by_name("size")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(1),
        2
    );
}

#[test]
fn camera_rows() {
    let records = vec![kinesis_record(
        fixture("s3-notification.json").as_bytes(),
        Some("site-9"),
    )];
    let batches = build(&Decoder::default(), &records);
    let cams = batch(&batches, Table::CameraMedia);
    assert_eq!(cams.num_rows(), 2);
    let kinds = cams
        .column_by_name("media_kind")
        .unwrap()
        .as_string::<i32>();
    assert_eq!((kinds.value(0), kinds.value(1)), ("snapshot", "video"));
    assert_eq!(
        cams.column_by_name("camera")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "front porch"
    );
}

#[test]
fn builders_are_reused_across_batches_with_sparse_columns_padded() {
    let decoder = Decoder::default();
    let mut batches = LakeBatches::new(arrival());
    let first = [
        line_record(
            r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
            1,
        ),
        line_record("!RFX:0180036,80", 2),
        line_record("!RFX:0180037,02", 3),
    ];
    let second = [
        line_record("!LRR:012,1,ARM_STAY", 4),
        line_record("!EXP:07,01,01", 5),
        line_record("!AUI:0201ff", 6),
    ];
    for round in [&first[..], &second[..], &first[..]] {
        for record in round {
            for outcome in decoder.decode(record) {
                batches.append(&record.position, &outcome);
            }
        }
        let built = batches.finish().unwrap();
        let alarms = batch(&built, Table::AlarmEvents);
        assert_eq!(alarms.num_rows(), 3);
        for column in alarms.columns() {
            assert_eq!(column.len(), 3, "every column has every row");
        }
        let ready = alarms.column_by_name("ready").unwrap();
        let value = alarms
            .column_by_name("value")
            .unwrap()
            .as_primitive::<Int64Type>();
        let lrr = alarms.column_by_name("event_type").unwrap();
        if round.len() == first.len() && round[0].position.sequence_number == "1" {
            assert_eq!((ready.null_count(), lrr.null_count()), (2, 3));
            assert_eq!(
                (value.is_null(0), value.value(1), value.value(2)),
                (true, 0x80, 0x02)
            );
        } else {
            assert_eq!((ready.null_count(), lrr.null_count()), (3, 2));
            assert_eq!(
                (value.is_null(0), value.value(1), value.is_null(2)),
                (true, 1, true)
            );
        }
    }
    assert!(batches.is_empty());
}
