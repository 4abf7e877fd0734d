//! Helpers shared by the integration tests.
#![allow(dead_code)]

use alarmlake_schemas::{Decoder, Event, EventBody, Outcome, RawRecord, RecordPosition};
use chrono::{DateTime, Utc};

pub fn arrival() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn kinesis_record(data: &[u8], partition_key: Option<&str>) -> RawRecord {
    RawRecord {
        data: data.to_vec(),
        position: RecordPosition {
            stream: "alarms".into(),
            shard_id: "shardId-000000000001".into(),
            sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
            sub_sequence_number: 0,
            partition_key: partition_key.map(str::to_string),
            arrival_time: arrival(),
        },
    }
}

pub fn line_record(data: &str, line: u64) -> RawRecord {
    RawRecord {
        data: data.as_bytes().to_vec(),
        position: RecordPosition::line("file", "fixture.txt", line, arrival()),
    }
}

pub fn events(outcomes: &[Outcome]) -> Vec<&Event> {
    outcomes
        .iter()
        .filter_map(|o| {
            if let Outcome::Event(e) = o {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}

pub fn only_event(decoder: &Decoder, record: &RawRecord) -> Event {
    let outcomes = decoder.decode(record);
    assert_eq!(outcomes.len(), 1, "expected one outcome, got {outcomes:?}");
    match outcomes.into_iter().next() {
        Some(Outcome::Event(e)) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

pub fn alarm(event: &Event) -> &alarmlake_schemas::alarmdecoder::AlarmEvent {
    match &event.body {
        EventBody::Alarm(a) => a,
        other => panic!("expected an alarm event, got {other:?}"),
    }
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
