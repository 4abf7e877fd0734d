//! Schema drift: a field no decoder knows, or a known field whose type changed, is kept in the
//! event's `extra` JSON and counted, never dropped and never a dead letter, unless the event
//! cannot be decoded without it. Both JSON paths are covered: the fast flat-object reader
//! (AlarmDecoder dicts) and serde (MODE events, with their nested eventData).

mod common;

use alarmlake_schemas::alarmdecoder::AlarmMessage;
use alarmlake_schemas::{Decoder, EventBody, LakeBatches, Outcome, RejectReason, Table, Tally};
use arrow::array::{Array, AsArray};
use common::*;

const KEYPAD: &str = r#"{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": false, "backlight_on": false, "battery_low": false, "beeps": 0, "bitfield": "[10000001000000003A--]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": true, "text": "****DISARMED****  Ready to Arm  ", "time": "2017-01-17T23:41:02", "zone_bypassed": false}"#;
const MODE: &str = r#"{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"abc","eventData":{"a":1},"originDeviceId":260}"#;

fn decode(json: &str) -> Vec<Outcome> {
    Decoder::default().decode(&kinesis_record(json.as_bytes(), Some("home-1")))
}

fn extra_of(outcomes: &[Outcome]) -> (String, u32, u32) {
    let [Outcome::Event(event)] = outcomes else {
        panic!("expected one event, got {outcomes:?}");
    };
    let extra = event.extra.as_ref().expect("extra");
    (
        extra.json.clone(),
        extra.unknown_fields,
        extra.type_changed_fields,
    )
}

#[test]
fn a_new_field_in_a_relay_dict_is_kept_in_extra() {
    let json = KEYPAD.replace(
        r#""zone_bypassed": false}"#,
        r#""zone_bypassed": false, "zone_name_v2": "Front door", "rssi": -71}"#,
    );
    let outcomes = decode(&json);
    assert_eq!(
        extra_of(&outcomes),
        (
            r#"{"zone_name_v2": "Front door", "rssi": -71}"#.to_string(),
            2,
            0
        )
    );
    // The typed columns are exactly what they are without the new fields.
    let plain = decode(KEYPAD);
    let (Outcome::Event(with), Outcome::Event(without)) = (&outcomes[0], &plain[0]) else {
        panic!()
    };
    assert_eq!(with.body, without.body);
    assert!(without.extra.is_none());
}

#[test]
fn nested_and_escaped_new_fields_take_the_serde_path_and_are_kept_too() {
    let json = KEYPAD.replace(
        r#""zone_bypassed": false}"#,
        r#""zone_bypassed": false, "zones": [{"n": 5, "name": "Back \"porch\""}]}"#,
    );
    assert_eq!(
        extra_of(&decode(&json)).0,
        r#"{"zones": [{"n": 5, "name": "Back \"porch\""}]}"#
    );
    let mode = MODE.replace(
        r#""originDeviceId":260}"#,
        r#""originDeviceId":260,"originDeviceName":"Hall sensor","firmware":{"v":2}}"#,
    );
    let outcomes = decode(&mode);
    assert_eq!(
        extra_of(&outcomes),
        (
            r#"{"originDeviceName": "Hall sensor", "firmware": {"v":2}}"#.to_string(),
            2,
            0
        )
    );
    let Outcome::Event(event) = &outcomes[0] else {
        panic!()
    };
    let EventBody::Mode(m) = &event.body else {
        panic!()
    };
    assert_eq!(m.origin_device_id, Some(260));
}

#[test]
fn a_field_whose_type_changed_goes_to_extra_with_a_counter() {
    // A number became a list: the decoder cannot use it, the event keeps everything else.
    let outcomes = decode(&KEYPAD.replace(r#""beeps": 0"#, r#""beeps": [0]"#));
    assert_eq!(extra_of(&outcomes), (r#"{"beeps": [0]}"#.to_string(), 0, 1));
    let Outcome::Event(event) = &outcomes[0] else {
        panic!()
    };
    let AlarmMessage::Keypad(k) = &alarm(event).message else {
        panic!()
    };
    assert_eq!(k.text, "****DISARMED****  Ready to Arm  ");
    // A boolean became text: serde refuses it, the flag comes from the bitfield.
    let outcomes = decode(&KEYPAD.replace(r#""ready": true"#, r#""ready": "yes""#));
    assert_eq!(
        extra_of(&outcomes),
        (r#"{"ready": "yes"}"#.to_string(), 0, 1)
    );
    // The time became a boolean: the event is kept at its arrival time.
    let outcomes = decode(&KEYPAD.replace(r#""time": "2017-01-17T23:41:02""#, r#""time": true"#));
    assert_eq!(extra_of(&outcomes).0, r#"{"time": true}"#);
    let Outcome::Event(event) = &outcomes[0] else {
        panic!()
    };
    assert_eq!(event.event_time, arrival());
    // Several at once, with a new field: each is counted where it belongs.
    let json = MODE.replace(
        r#""originDeviceId":260}"#,
        r#""originDeviceId":"260","originDeviceClass":7,"extra_field":null}"#,
    );
    let outcomes = decode(&json);
    let (text, unknown, changed) = extra_of(&outcomes);
    assert_eq!((unknown, changed), (1, 2), "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["originDeviceId"], "260");
    assert_eq!(value["originDeviceClass"], 7);
    let mut tally = Tally::default();
    tally.add(&outcomes[0]);
    assert_eq!(
        (
            tally.events,
            tally.unknown_fields,
            tally.type_changed_fields
        ),
        (1, 1, 2)
    );
}

#[test]
fn an_event_that_cannot_do_without_the_field_is_still_a_dead_letter() {
    for (json, field) in [
        (
            KEYPAD.replace(
                r#""text": "****DISARMED****  Ready to Arm  ""#,
                r#""text": 5"#,
            ),
            "text",
        ),
        (MODE.replace("173", r#""173""#), "homeId"),
        (r#"{"value": 5}"#.to_string(), "value"),
    ] {
        let outcomes = decode(&json);
        let [Outcome::Rejected { rejected, .. }] = outcomes.as_slice() else {
            panic!("{field}: expected a rejection, got {outcomes:?}");
        };
        assert_eq!(rejected.reason, RejectReason::WrongType, "{field}");
        assert!(
            rejected.detail.contains(field) || rejected.detail.contains("invalid type"),
            "{}",
            rejected.detail
        );
        assert_eq!(rejected.raw, json.as_bytes(), "the whole original is kept");
    }
}

#[test]
fn extra_is_a_column_of_alarm_and_mode_events() {
    let json = KEYPAD.replace(
        r#""zone_bypassed": false}"#,
        r#""zone_bypassed": false, "new": 1}"#,
    );
    let record = kinesis_record(json.as_bytes(), Some("home-1"));
    let mut batches = LakeBatches::new(arrival());
    for outcome in Decoder::default().decode(&record) {
        batches.append(&record.position, &outcome);
    }
    let record = kinesis_record(KEYPAD.as_bytes(), Some("home-1"));
    for outcome in Decoder::default().decode(&record) {
        batches.append(&record.position, &outcome);
    }
    let finished = batches.finish().unwrap();
    let (table, batch) = &finished[0];
    assert_eq!(*table, Table::AlarmEvents);
    let extra = batch.column_by_name("extra").unwrap().as_string::<i32>();
    assert_eq!(extra.value(0), r#"{"new": 1}"#);
    assert!(extra.is_null(1));
    assert!(Table::ModeEvents.schema().field_with_name("extra").is_ok());
}
