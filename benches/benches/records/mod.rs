//! The records the micro benchmarks decode: a realistic mix of AlarmDecoder `dict()` JSON and raw
//! serial lines, with stream positions as a Kinesis shard gives them.

use alarmlake_schemas::{RawRecord, RecordPosition};
use chrono::{DateTime, Utc};

pub const RECORDS: usize = 10_000;

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
pub fn dict_records() -> Vec<RawRecord> {
    dict_records_n(RECORDS)
}

/// `n` records of the same mix.
pub fn dict_records_n(n: usize) -> Vec<RawRecord> {
    (0..n)
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
pub fn raw_records() -> Vec<RawRecord> {
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
