//! Decode throughput on one core: JSON `dict()` records and raw serial lines, each decoded and
//! appended to the Arrow builders of the lake tables (the work the pipeline does per event).
//!
//! Run: `cargo bench -p alarmlake-benches --bench decode`. Figures go to `benches/RESULTS.md`.

use alarmlake_schemas::{Decoder, LakeBatches, RawRecord, RecordPosition};
use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// The allocator of the `alarmlake` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 10_000;

fn position(i: usize) -> RecordPosition {
    RecordPosition {
        stream: "alarms".into(),
        shard_id: "shardId-000000000000".into(),
        sequence_number: format!("4959033827149025660855969253836157109592157598913658{i:04}"),
        sub_sequence_number: 0,
        partition_key: Some(format!("home-{}", i % 500)),
        arrival_time: DateTime::<Utc>::from_timestamp(1_700_000_000 + i as i64, 0)
            .unwrap_or_default(),
    }
}

/// Keypad texts a panel cycles through, so the text decoding sees real variety.
const TEXTS: [&str; 4] = [
    "****DISARMED****  Ready to Arm  ",
    "ARMED ***STAY***You may exit now",
    "FAULT 05 FRONT  DOOR            ",
    "ARMED ***AWAY***                ",
];

/// A realistic mix of `dict()` records: mostly keypad, as on a real bus, plus RF, expander and LRR.
fn dict_records() -> Vec<RawRecord> {
    (0..RECORDS)
        .map(|i| {
            let time = format!("2024-03-{:02}T{:02}:{:02}:{:02}.{:06}", 1 + i % 28, i % 24, i % 60, (i / 60) % 60, i % 1_000_000);
            let json = match i % 10 {
                0..=6 => {
                    let text = TEXTS[i % TEXTS.len()];
                    let (ready, away, home) = (i % 4 == 0, i % 4 == 3, i % 4 == 1);
                    format!(
                        r#"{{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": {away}, "armed_home": {home}, "backlight_on": false, "battery_low": false, "beeps": {}, "bitfield": "[{}000{}01000100003A0-]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "{:03}", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": {ready}, "text": "{text}", "time": "{time}", "zone_bypassed": false}}"#,
                        i % 4,
                        u8::from(ready),
                        i % 4,
                        i % 64
                    )
                }
                7 => format!(r#"{{"battery": false, "serial_number": "0{:06}", "supervision": false, "time": "{time}", "value": {}}}"#, i % 999_999, i % 256),
                8 => format!(r#"{{"address": {}, "channel": {}, "time": "{time}", "value": {}}}"#, 7 + i % 8, 1 + i % 8, i % 2),
                _ => format!(
                    r#"{{"event_code": "0x401", "event_data": "{:03}", "event_data_type": "U", "event_description": "Open/Close By User", "event_prefix": "CID", "event_source": 1, "event_status": 3, "event_type": "CID_3401", "partition": "1", "report_code": "ff", "time": "{time}"}}"#,
                    i % 32
                ),
            };
            RawRecord { data: format!("{json}\n").into_bytes(), position: position(i) }
        })
        .collect()
}

/// The same mix as raw serial lines, as ser2sock or a raw relay sends them.
fn raw_records() -> Vec<RawRecord> {
    (0..RECORDS)
        .map(|i| {
            let line = match i % 10 {
                0..=6 => format!(
                    r#"[{}000{}01000100003A0-],{:03},[f702000f1008005c08020000000000],"{}""#,
                    u8::from(i % 4 == 0),
                    i % 4,
                    i % 64,
                    TEXTS[i % TEXTS.len()]
                ),
                7 => format!("!RFX:0{:06},{:02x}", i % 999_999, i % 256),
                8 => format!("!EXP:{:02},{:02},{:02}", 7 + i % 8, 1 + i % 8, i % 2),
                _ => format!(
                    "!LRR:{:03},1,CID_{}401,ff",
                    i % 32,
                    if i % 2 == 0 { 1 } else { 3 }
                ),
            };
            RawRecord {
                data: line.into_bytes(),
                position: position(i),
            }
        })
        .collect()
}

/// Decodes every record into `batches` and finishes them, as the writer does for each flush.
/// The same `LakeBatches` is reused between iterations, as the writer reuses it between batches.
fn decode_into_arrow(decoder: &Decoder, batches: &mut LakeBatches, records: &[RawRecord]) -> usize {
    let mut outcomes = Vec::with_capacity(4);
    for record in records {
        outcomes.clear();
        decoder.decode_into(record, &mut outcomes);
        for outcome in &outcomes {
            batches.append(&record.position, outcome);
        }
    }
    batches
        .finish()
        .map(|b| b.iter().map(|(_, batch)| batch.num_rows()).sum())
        .unwrap_or(0)
}

fn new_batches() -> LakeBatches {
    LakeBatches::new(DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default())
}

fn decode_only(decoder: &Decoder, records: &[RawRecord]) -> usize {
    let mut outcomes = Vec::with_capacity(4);
    let mut n = 0;
    for record in records {
        outcomes.clear();
        decoder.decode_into(record, &mut outcomes);
        n += outcomes.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let decoder = Decoder::default();
    let inputs = [("json_dict", dict_records()), ("raw_line", raw_records())];
    for (_, records) in &inputs {
        let rows = decode_into_arrow(&decoder, &mut new_batches(), records);
        assert_eq!(rows, RECORDS, "every benchmark record decodes to one row");
    }
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (name, records) in &inputs {
        let mut batches = new_batches();
        group.bench_with_input(BenchmarkId::new("to_arrow", name), records, |b, r| {
            b.iter(|| decode_into_arrow(&decoder, &mut batches, black_box(r)))
        });
        group.bench_with_input(BenchmarkId::new("decode_only", name), records, |b, r| {
            b.iter(|| decode_only(&decoder, black_box(r)))
        });
        let decoded: Vec<_> = records
            .iter()
            .map(|r| (r.position.clone(), decoder.decode(r)))
            .collect();
        let mut batches = new_batches();
        group.bench_with_input(BenchmarkId::new("arrow_only", name), &decoded, |b, d| {
            b.iter(|| {
                for (position, outcomes) in d {
                    for outcome in outcomes {
                        batches.append(position, outcome);
                    }
                }
                batches.finish().map(|b| b.len()).unwrap_or(0)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
