//! The malformed-input corpus: every kind of bad input gives a rejection with the expected
//! reason (or, for KPL, passes through unchanged as the official library does), never a panic,
//! and never disappears: each record yields at least one outcome.

mod common;

use alarmlake_schemas::{Decoder, Outcome, RejectReason, kpl};
use common::*;
use md5::{Digest, Md5};

enum Expect {
    /// Exactly one outcome: a rejection with this reason.
    Reject(RejectReason),
    /// Not a valid KPL aggregate: de-aggregation returns the record unchanged, and the decoder
    /// then rejects the raw bytes with this reason.
    PassThrough(RejectReason),
}

const KEYPAD_DICT: &str = r#"{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": false, "backlight_on": false, "battery_low": false, "beeps": 0, "bitfield": "[10000001000000003A--]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f1008005c08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": true, "text": "****DISARMED****  Ready to Arm  ", "time": "2017-01-17T23:41:02", "zone_bypassed": false}"#;
const MODE: &str = r#"{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"abc","eventData":{},"originDeviceId":260}"#;
const KPL_VECTOR: &str = "f3899ac20a03706b311a0908001a0568656c6c6f1a0908001a05776f726c64f5fb92b07d5dc986bb5915e9657557aa";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn with_valid_md5(body: &[u8]) -> Vec<u8> {
    [&kpl::MAGIC[..], body, Md5::digest(body).as_slice()].concat()
}

fn corpus() -> Vec<(&'static str, Vec<u8>, Expect)> {
    use Expect::*;
    use RejectReason::*;
    let s = |t: &str| t.as_bytes().to_vec();
    let mut wrong_md5 = hex(KPL_VECTOR);
    let last = wrong_md5.len() - 1;
    wrong_md5[last] ^= 0xff;
    let mut deep = String::from(r#"{"homeId":1,"eventData":"#);
    deep.push_str(&"[".repeat(10_000));
    vec![
        ("empty record", vec![], Reject(EmptyRecord)),
        ("whitespace only", s(" \r\n\t\n"), Reject(EmptyRecord)),
        (
            "truncated JSON",
            s(r#"{"ready": true, "text": "FAULT"#),
            Reject(InvalidJson),
        ),
        (
            "JSON syntax error",
            s(r#"{"value": "01",}"#),
            Reject(InvalidJson),
        ),
        (
            "required boolean given as string",
            // Without the bitfield, the flag cannot be recovered: the event is not kept.
            KEYPAD_DICT
                .replace(r#""bitfield": "[10000001000000003A--]", "#, "")
                .replace(r#""ready": true"#, r#""ready": "yes""#)
                .into_bytes(),
            Reject(WrongType),
        ),
        (
            "text given as number",
            KEYPAD_DICT
                .replace(
                    r#""text": "****DISARMED****  Ready to Arm  ""#,
                    r#""text": 5"#,
                )
                .into_bytes(),
            Reject(WrongType),
        ),
        (
            "duplicate key",
            s(r#"{"value": "01", "value": "02"}"#),
            Reject(WrongType),
        ),
        (
            "integer beyond i64",
            s(r#"{"address": 99999999999999999999, "channel": 1, "value": 1}"#),
            Reject(WrongType),
        ),
        (
            "JSON array of events",
            s(r#"[{"value": "01"}]"#),
            Reject(UnknownJsonShape),
        ),
        ("empty JSON object", s("{}"), Reject(UnknownJsonShape)),
        (
            "unknown JSON object",
            s(r#"{"temperature": 21.5}"#),
            Reject(UnknownJsonShape),
        ),
        (
            "keypad dict without text",
            KEYPAD_DICT
                .replace(r#""text": "****DISARMED****  Ready to Arm  ", "#, "")
                .into_bytes(),
            Reject(MissingField),
        ),
        (
            "unparseable time",
            KEYPAD_DICT
                .replace("2017-01-17T23:41:02", "yesterday")
                .into_bytes(),
            Reject(InvalidTimestamp),
        ),
        (
            "impossible date",
            KEYPAD_DICT
                .replace("2017-01-17T23:41:02", "2017-02-30T23:41:02")
                .into_bytes(),
            Reject(InvalidTimestamp),
        ),
        (
            "invalid UTF-8",
            vec![b'!', b'R', b'F', b'X', b':', 0xc3, 0x28],
            Reject(InvalidUtf8),
        ),
        ("1 MB line", vec![b'x'; 1 << 20], Reject(LineTooLong)),
        (
            "1 MB JSON value",
            format!(r#"{{"value": "{}"}}"#, "0".repeat(1 << 20)).into_bytes(),
            Reject(LineTooLong),
        ),
        (
            "NUL byte in a raw line",
            s("!RFX:0180036,80\0"),
            Reject(ControlCharacter),
        ),
        (
            "NUL byte inside a JSON string",
            s("{\"value\": \"0\u{0}1\"}"),
            Reject(InvalidJson),
        ),
        (
            "JSON nested 10,000 deep",
            deep.into_bytes(),
            Reject(InvalidJson),
        ),
        (
            "bracket-less bitfield",
            s(
                r#"10000001000100003A0-,008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
            ),
            Reject(MalformedKeypad),
        ),
        (
            "bad hex numeric code",
            s(
                r#"[10000001000100003A0-],0x8,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
            ),
            Reject(MalformedKeypad),
        ),
        (
            "short bitfield",
            s(
                r#"[1000000100],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
            ),
            Reject(MalformedKeypad),
        ),
        (
            "unquoted keypad text",
            s(r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],DISARMED"#),
            Reject(MalformedKeypad),
        ),
        (
            "panel data too short for the mask",
            s(r#"[10000001000100003A0-],008,[f702],"****DISARMED****  Ready to Arm  ""#),
            Reject(MalformedKeypad),
        ),
        (
            "expander with two fields",
            s("!EXP:07,01"),
            Reject(MalformedExpander),
        ),
        (
            "relay with letters",
            s("!REL:a,b,c"),
            Reject(MalformedExpander),
        ),
        ("RF without status", s("!RFX:0180036"), Reject(MalformedRf)),
        (
            "RF with bad hex status",
            s("!RFX:0180036,GG"),
            Reject(MalformedRf),
        ),
        ("LRR with two fields", s("!LRR:012,1"), Reject(MalformedLrr)),
        (
            "LRR with bad Contact ID code",
            s("!LRR:001,1,CID_34G1,ff"),
            Reject(MalformedLrr),
        ),
        ("AUI that is not hex", s("!AUI:xyz"), Reject(MalformedAui)),
        (
            "unknown ! message",
            s("!FOO:1,2,3"),
            Reject(UnknownMessageType),
        ),
        ("plain text", s("hello world"), Reject(UnrecognizedLine)),
        (
            "bare JSON string",
            s(r#""just a string""#),
            Reject(UnrecognizedLine),
        ),
        (
            "MODE event without homeId",
            MODE.replace(r#""homeId":173,"#, "").into_bytes(),
            Reject(MissingField),
        ),
        (
            "MODE eventData not an object",
            MODE.replace(r#""eventData":{}"#, r#""eventData":[1,2]"#)
                .into_bytes(),
            Reject(InvalidModeEvent),
        ),
        (
            "MODE timestamp without zone",
            MODE.replace("09.521Z", "09.521").into_bytes(),
            Reject(InvalidTimestamp),
        ),
        (
            "MODE homeId as text",
            MODE.replace("173", r#""173""#).into_bytes(),
            Reject(WrongType),
        ),
        (
            "S3 key outside patrolcams",
            s(
                r#"{"Records":[{"eventName":"ObjectCreated:Put","eventTime":"2024-01-02T13:45:07Z","s3":{"object":{"key":"other/x.jpg","size":1}}}]}"#,
            ),
            Reject(UnknownS3Key),
        ),
        (
            "S3 Records not an array",
            s(r#"{"Records":{"eventName":"ObjectCreated:Put"}}"#),
            Reject(InvalidS3Notification),
        ),
        (
            "S3 record without object",
            s(
                r#"{"Records":[{"eventName":"ObjectCreated:Put","eventTime":"2024-01-02T13:45:07Z","s3":{}}]}"#,
            ),
            Reject(InvalidS3Notification),
        ),
        ("KPL with a wrong MD5", wrong_md5, PassThrough(InvalidUtf8)),
        (
            "KPL with nothing beyond the digest",
            [&kpl::MAGIC[..], &[0u8; 16]].concat(),
            PassThrough(InvalidUtf8),
        ),
        (
            "KPL whose protobuf does not parse",
            with_valid_md5(&[0x0a, 0xff, 0xff]),
            PassThrough(InvalidUtf8),
        ),
        (
            "KPL with no user records",
            with_valid_md5(&[0x0a, 0x02, b'p', b'k']),
            PassThrough(InvalidUtf8),
        ),
        (
            "KPL truncated to the magic",
            kpl::MAGIC.to_vec(),
            PassThrough(InvalidUtf8),
        ),
    ]
}

#[test]
fn corpus_has_at_least_30_kinds() {
    let corpus = corpus();
    assert!(corpus.len() >= 30, "only {} kinds", corpus.len());
    let mut names: Vec<&str> = corpus.iter().map(|(n, _, _)| *n).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), corpus.len(), "names are distinct");
}

#[test]
fn every_malformed_input_is_rejected_with_its_reason() {
    let decoder = Decoder::default();
    for (name, data, expect) in corpus() {
        let record = kinesis_record(&data, Some("site-1"));
        let (records, reason) = match expect {
            Expect::Reject(reason) => (vec![record.clone()], reason),
            Expect::PassThrough(reason) => {
                let out: Vec<_> = kpl::deaggregate_record(record.clone()).collect();
                assert_eq!(
                    out,
                    vec![record.clone()],
                    "{name}: must pass through unchanged"
                );
                (out, reason)
            }
        };
        for r in records {
            let outcomes = decoder.decode(&r);
            assert_eq!(outcomes.len(), 1, "{name}: {outcomes:?}");
            match &outcomes[0] {
                Outcome::Rejected {
                    index,
                    site,
                    rejected,
                } => {
                    assert_eq!(rejected.reason, reason, "{name}: {}", rejected.detail);
                    assert!(!rejected.detail.is_empty(), "{name}: detail explains");
                    assert_eq!((*index, site.as_str()), (0, "site-1"));
                    assert!(
                        data.is_empty() || !rejected.raw.is_empty(),
                        "{name}: raw bytes kept"
                    );
                }
                other => panic!("{name}: expected a rejection, got {other:?}"),
            }
        }
    }
}

#[test]
fn a_broken_pretty_printed_object_is_one_dead_letter() {
    let text = "{\n  \"homeId\": 1,\n  \"eventType\": \"x\",\n  \"eventData\": {\n}\n!!garbage\n";
    let outcomes = Decoder::default().decode(&kinesis_record(text.as_bytes(), None));
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(
        matches!(&outcomes[0], Outcome::Rejected { rejected, .. } if rejected.reason == RejectReason::InvalidJson && rejected.raw == text.trim_start().as_bytes())
    );
}
