//! The decoder on the real lines of formats.md and on real-looking records of every format.

mod common;

use alarmlake_schemas::alarmdecoder::AlarmMessage;
use alarmlake_schemas::alarmdecoder::contact_id::DataType;
use alarmlake_schemas::alarmdecoder::keypad::PanelType;
use alarmlake_schemas::alarmdecoder::keypad_text::{ArmState, ZoneEvent};
use alarmlake_schemas::camera::MediaKind;
use alarmlake_schemas::mode::ContentType;
use alarmlake_schemas::timezone::parse_tz;
use alarmlake_schemas::{
    BulkPolicy, Decoder, DecoderConfig, EventBody, Outcome, RejectReason, Tally, TimeZones, kpl,
    msgpack,
};
use common::*;

#[test]
fn every_formats_md_line_decodes() {
    let decoder = Decoder::default();
    let mut tally = Tally::default();
    let mut types = Vec::new();
    for (n, line) in fixture("formats-md.txt").lines().enumerate() {
        for outcome in decoder.decode(&line_record(line, n as u64 + 1)) {
            tally.add(&outcome);
            match outcome {
                Outcome::Event(e) => types.push(match &e.body {
                    EventBody::Alarm(a) => a.message.message_type().to_string(),
                    EventBody::Mode(_) => "mode".to_string(),
                    other => panic!("unexpected {other:?}"),
                }),
                Outcome::Rejected { rejected, .. } => {
                    panic!("line {} rejected: {rejected:?}", n + 1)
                }
                Outcome::Chatter { kind, .. } => assert_eq!(kind, "ready"),
            }
        }
    }
    assert_eq!(tally.events, 12);
    assert_eq!(tally.chatter, 1);
    assert_eq!(tally.rejected, 0);
    assert_eq!(
        types,
        [
            "keypad", "keypad", "keypad", "keypad", "keypad", "expander", "relay", "rf", "lrr",
            "lrr", "aui", "mode"
        ]
    );
}

#[test]
fn raw_keypad_line_keeps_raw_text_and_arrival_time() {
    let line = r#"[00000000000000000A--],001,[f707000600e5800c0c020000],"FAULT 1                         ""#;
    let e = only_event(&Decoder::default(), &line_record(line, 3));
    let a = alarm(&e);
    assert_eq!(a.raw.as_deref(), Some(line));
    assert_eq!(a.time, None);
    assert_eq!(e.event_time, arrival());
    assert_eq!(e.site, "unknown");
    let AlarmMessage::Keypad(k) = &a.message else {
        panic!()
    };
    assert_eq!(
        (k.meaning.zone_event, k.meaning.zone),
        (Some(ZoneEvent::Fault), Some(1))
    );
    assert_eq!(k.meaning.arm_state, Some(ArmState::Disarmed));
    assert_eq!(k.mask, 0x0700_0600);
}

/// A capture log puts the moment each line was read before it: that is the event's time (a
/// naive one in the site's zone), the raw line is decoded as usual, and a bad stamp is a
/// dead letter, not an event at the wrong time.
#[test]
fn a_timestamped_capture_line_takes_its_time() {
    let mut zones = TimeZones::default();
    zones.insert("unknown", parse_tz("America/New_York").unwrap());
    let decoder = Decoder::new(DecoderConfig {
        time_zones: zones,
        ..DecoderConfig::default()
    });
    let e = only_event(
        &decoder,
        &line_record("2024-03-09T09:00:12Z !LRR:003,1,CID_1134,ff", 1),
    );
    assert_eq!(e.event_time.to_rfc3339(), "2024-03-09T09:00:12+00:00");
    let a = alarm(&e);
    assert_eq!(a.raw.as_deref(), Some("!LRR:003,1,CID_1134,ff"));
    assert_eq!(a.time.as_deref(), Some("2024-03-09T09:00:12Z"));
    let AlarmMessage::Lrr(l) = &a.message else {
        panic!("{:?}", a.message)
    };
    assert_eq!(l.event_code, Some(0x134));
    // Naive: the site's local time (EDT on this date).
    let keypad = r#"2024-03-10T09:00:00.250 [00000000000000000A--],001,[f707000600e5800c0c020000],"FAULT 1                         ""#;
    let e = only_event(&decoder, &line_record(keypad, 2));
    assert_eq!(e.event_time.to_rfc3339(), "2024-03-10T13:00:00.250+00:00");
    // A space between date and time, as Python's logging writes it.
    let e = only_event(
        &decoder,
        &line_record("2024-03-09 09:00:12 !LRR:003,1,CID_1406,ff", 3),
    );
    assert_eq!(e.event_time.to_rfc3339(), "2024-03-09T14:00:12+00:00");
    assert_eq!(alarm(&e).time.as_deref(), Some("2024-03-09 09:00:12"));
    let outcomes = decoder.decode(&line_record(
        "2024-13-40T99:00:00Z !LRR:003,1,CID_1134,ff",
        3,
    ));
    assert!(
        matches!(&outcomes[..], [Outcome::Rejected { .. }]),
        "{outcomes:?}"
    );
}

#[test]
fn dict_records_use_the_site_time_zone() {
    let mut zones = TimeZones::new(parse_tz("UTC").unwrap());
    zones.insert("home-17", parse_tz("America/Chicago").unwrap());
    let decoder = Decoder::new(DecoderConfig {
        time_zones: zones,
        ..DecoderConfig::default()
    });
    let text = fixture("dict-records.ndjson");
    let first = text.lines().next().unwrap();

    let e = only_event(&decoder, &kinesis_record(first.as_bytes(), Some("home-17")));
    assert_eq!(e.site, "home-17");
    assert_eq!(
        e.event_time.to_rfc3339(),
        "2017-01-18T05:41:02.123456+00:00",
        "CST is UTC-6"
    );
    assert_eq!(
        alarm(&e).time.as_deref(),
        Some("2017-01-17T23:41:02.123456")
    );

    let e = only_event(
        &decoder,
        &kinesis_record(first.as_bytes(), Some("home-elsewhere")),
    );
    assert_eq!(
        e.event_time.to_rfc3339(),
        "2017-01-17T23:41:02.123456+00:00",
        "default zone is UTC"
    );
}

#[test]
fn ndjson_record_holds_every_dict_kind() {
    let decoder = Decoder::default();
    let text = fixture("dict-records.ndjson");
    let outcomes = decoder.decode(&kinesis_record(text.as_bytes(), Some("site-a")));
    let events = events(&outcomes);
    assert_eq!(events.len(), 7, "{outcomes:?}");
    let indexes: Vec<u32> = events.iter().map(|e| e.index).collect();
    assert_eq!(indexes, [0, 1, 2, 3, 4, 5, 6]);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| alarm(e).message.message_type())
        .collect();
    assert_eq!(
        kinds,
        ["keypad", "keypad", "expander", "rf", "lrr", "lrr", "aui"]
    );

    let AlarmMessage::Keypad(fault) = &alarm(events[1]).message else {
        panic!()
    };
    assert_eq!(fault.meaning.zone, Some(5));
    assert_eq!(fault.meaning.zone_name.as_deref(), Some("FRONT DOOR"));
    assert!(fault.flags.backlight_on && !fault.flags.ready);
    assert_eq!(fault.panel_type, Some(PanelType::Ademco));

    let AlarmMessage::Lrr(old) = &alarm(events[4]).message else {
        panic!()
    };
    assert_eq!(
        (old.event_code, old.event_data_type),
        (Some(0x441), Some(DataType::User))
    );
    let AlarmMessage::Lrr(new) = &alarm(events[5]).message else {
        panic!()
    };
    assert_eq!(
        (
            new.event_code,
            new.event_status,
            new.event_prefix.as_deref()
        ),
        (Some(0x401), Some(1), Some("CID"))
    );

    // AUI dicts carry no time: the arrival time stands in.
    assert_eq!(events[6].event_time, arrival());
}

#[test]
fn concatenated_and_pretty_printed_json() {
    let decoder = Decoder::default();
    let glued = r#"{"value": "01"}{"value": "02"} {"value": "03"}"#;
    assert_eq!(
        events(&decoder.decode(&kinesis_record(glued.as_bytes(), None))).len(),
        3
    );

    let outcomes = decoder.decode(&kinesis_record(
        fixture("s3-notification.json").as_bytes(),
        Some("cams"),
    ));
    let media: Vec<_> = events(&outcomes)
        .into_iter()
        .map(|e| match &e.body {
            EventBody::Camera(c) => (e.index, c.clone(), e.event_time),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(media.len(), 2);
    let (index, snap, uploaded) = &media[0];
    assert_eq!(*index, 0);
    assert_eq!(
        (snap.camera.as_str(), snap.media_kind),
        ("front porch", MediaKind::Snapshot)
    );
    assert_eq!(snap.capture_time.to_rfc3339(), "2024-01-02T13:45:02+00:00");
    assert_eq!(uploaded.to_rfc3339(), "2024-01-02T13:45:07.120+00:00");
    let (index, clip, _) = &media[1];
    assert_eq!(*index, 1);
    assert_eq!(
        (clip.camera.as_str(), clip.media_kind, clip.size),
        ("garage", MediaKind::Video, Some(10_485_760))
    );
    assert_eq!(
        clip.key,
        "patrolcams/garage/2024-01-02/Hour-13/record/clip-0001.mp4"
    );
}

#[test]
fn s3_test_event_is_chatter() {
    let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-02T13:00:00.000Z","Bucket":"patrol-uploads","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
    let outcomes = Decoder::default().decode(&kinesis_record(test_event.as_bytes(), None));
    assert_eq!(
        outcomes,
        vec![Outcome::Chatter {
            index: 0,
            kind: "s3_test_event"
        }]
    );
}

#[test]
fn mode_event_site_is_home_id() {
    let json = r#"{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"realtimeData","eventData":{"timeSeriesData":[{"seriesId":"temp","timestamp":"2016-01-04T23:26:09.521Z","value":21.5}]},"originDeviceId":260,"originDeviceClass":"thermostat"}"#;
    let e = only_event(
        &Decoder::default(),
        &kinesis_record(json.as_bytes(), Some("5f0c0a3e-uuid")),
    );
    assert_eq!(e.site, "173");
    let EventBody::Mode(m) = &e.body else {
        panic!()
    };
    assert_eq!(m.event_type, "realtimeData");
    let data: serde_json::Value = serde_json::from_str(&m.event_data).unwrap();
    assert_eq!(data["timeSeriesData"][0]["value"], 21.5);
}

#[test]
fn kpl_aggregate_of_dicts_decodes_with_sub_sequence_numbers() {
    let text = fixture("dict-records.ndjson");
    let lines: Vec<&str> = text.lines().collect();
    let users: Vec<kpl::UserRecord> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| kpl::UserRecord {
            partition_key: format!("site-{}", i % 2),
            explicit_hash_key: None,
            data: l.as_bytes().to_vec(),
        })
        .collect();
    let aggregate = kpl::aggregate(&users);
    let decoder = Decoder::default();
    let records: Vec<_> =
        kpl::deaggregate_record(kinesis_record(&aggregate, Some("outer"))).collect();
    assert_eq!(records.len(), lines.len());
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.position.sub_sequence_number, i as u64);
        let e = only_event(&decoder, record);
        assert_eq!(e.site, format!("site-{}", i % 2));
    }
}

#[test]
fn bulk_policies() {
    let envelope_item = msgpack::encode_envelope(&[b"\x01\x02".as_slice()]);
    let always = Decoder::new(DecoderConfig {
        bulk: BulkPolicy::Always,
        ..DecoderConfig::default()
    });
    let e = only_event(&always, &kinesis_record(&envelope_item, Some("device-9")));
    let EventBody::Bulk(b) = &e.body else {
        panic!()
    };
    assert_eq!(
        (b.content_type, b.payload.clone()),
        (ContentType::Msgpack, envelope_item.clone())
    );
    assert_eq!(e.site, "device-9");

    let unrecognized = Decoder::new(DecoderConfig {
        bulk: BulkPolicy::Unrecognized,
        ..DecoderConfig::default()
    });
    let e = only_event(
        &unrecognized,
        &kinesis_record(&[0xde, 0xad, 0xbe, 0xef], None),
    );
    assert!(matches!(&e.body, EventBody::Bulk(b) if b.content_type == ContentType::Binary));
    let e = only_event(&unrecognized, &kinesis_record(b"!RFX:0180036,80", None));
    assert!(
        matches!(&e.body, EventBody::Alarm(_)),
        "known formats still decode"
    );
    let outcomes = unrecognized.decode(&kinesis_record(b"!RFX:0180036,zz", None));
    assert!(
        matches!(&outcomes[0], Outcome::Rejected { rejected, .. } if rejected.reason == RejectReason::MalformedRf),
        "a known format with a bad field is still rejected"
    );

    let never = Decoder::default();
    let outcomes = never.decode(&kinesis_record(&[0xde, 0xad, 0xbe, 0xef], None));
    assert!(
        matches!(&outcomes[0], Outcome::Rejected { rejected, .. } if rejected.reason == RejectReason::InvalidUtf8)
    );
}

#[test]
fn mixed_record_keeps_going_after_a_bad_line() {
    let text = "!RFX:0180036,80\r\n!RFX:bad\n\n!Ready\n{\"value\": \"0a\"}\n";
    let outcomes = Decoder::default().decode(&line_record(text, 1));
    let mut tally = Tally::default();
    outcomes.iter().for_each(|o| tally.add(o));
    assert_eq!((tally.events, tally.rejected, tally.chatter), (2, 1, 1));
    let indexes: Vec<u32> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Event(e) => e.index,
            Outcome::Rejected { index, .. } | Outcome::Chatter { index, .. } => *index,
        })
        .collect();
    assert_eq!(indexes, [0, 1, 2, 3]);
    let Outcome::Rejected { rejected, .. } = &outcomes[1] else {
        panic!()
    };
    assert_eq!(rejected.raw, b"!RFX:bad");
}
