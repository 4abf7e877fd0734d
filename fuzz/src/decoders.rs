//! The decoders of what devices send: no input may panic them, and what they accept must
//! survive its round trip.

use alarmlake_schemas::alarmdecoder::dict;
use alarmlake_schemas::alarmdecoder::keypad::KeypadMessage;
use alarmlake_schemas::json_probe::{Shape, probe};
use alarmlake_schemas::mode::{ContentType, ModeEvent};
use alarmlake_schemas::timestamp::{ParsedTime, parse_iso};
use alarmlake_schemas::timezone::parse_tz;
use alarmlake_schemas::{
    BulkPolicy, Decoder, DecoderConfig, LakeBatches, RawRecord, RecordPosition, Tally, TimeZones,
    alarmdecoder, camera, kpl as kpl_format, msgpack as msgpack_format,
};
use chrono::{DateTime, Utc};

/// A fixed read time, so that a replay is the same run whenever it happens.
fn read_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time")
}

/// Whole records through KPL de-aggregation, the decoder (every bulk policy) and the Arrow
/// builders: no panic, and every unit is accounted for by exactly one row.
pub fn decode_record(data: &[u8]) {
    let position = RecordPosition::line("fuzz", "input", 1, read_at());
    let record = RawRecord {
        data: data.to_vec(),
        position,
    };
    for bulk in [
        BulkPolicy::Never,
        BulkPolicy::Unrecognized,
        BulkPolicy::Always,
    ] {
        let decoder = Decoder::new(DecoderConfig {
            bulk,
            ..DecoderConfig::default()
        });
        let mut batches = LakeBatches::new(read_at());
        let mut tally = Tally::default();
        for user in kpl_format::deaggregate_record(record.clone()) {
            let outcomes = decoder.decode(&user);
            assert!(!outcomes.is_empty(), "a record decoded to nothing");
            for outcome in &outcomes {
                tally.add(outcome);
                batches.append(&user.position, outcome);
            }
        }
        let rows: usize = batches
            .finish()
            .expect("batches build")
            .iter()
            .map(|(_, batch)| batch.num_rows())
            .sum();
        assert_eq!(rows as u64, tally.events + tally.rejected);
    }
}

/// Raw AlarmDecoder serial lines.
pub fn alarmdecoder_line(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let _ = alarmdecoder::parse_line(line);
    let _ = KeypadMessage::parse_line(line);
}

/// JSON objects of every shape: AlarmDecoder dicts and MODE events.
pub fn json_shapes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(probed) = probe(text) {
        match probed.shape() {
            Shape::Mode => drop(ModeEvent::from_probe(&probed)),
            shape => drop(dict::decode(&probed, shape)),
        }
    }
}

/// KPL de-aggregation; whatever de-aggregates must survive a round trip through aggregation.
pub fn kpl(data: &[u8]) {
    if let Some(records) = kpl_format::deaggregate(data) {
        assert_eq!(
            kpl_format::deaggregate(&kpl_format::aggregate(&records)),
            Some(records)
        );
    }
}

/// The MessagePack envelope codec and the bulk content sniff.
pub fn msgpack(data: &[u8]) {
    let _ = ContentType::sniff(data);
    let _ = msgpack_format::is_single_value(data);
    if let Ok(records) = msgpack_format::decode_envelope(data) {
        assert_eq!(
            msgpack_format::decode_envelope(&msgpack_format::encode_envelope(&records)),
            Ok(records)
        );
    }
}

/// S3 event notification `Records` arrays and object keys.
pub fn camera(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = camera::url_decode(text);
    let _ = camera::decode_records(text, &|local| local.and_utc());
}

/// Timestamp parsing, and the conversion of what parses through a time zone with DST.
pub fn timestamp(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ParsedTime::Naive(local)) = parse_iso(text) {
        let zones = TimeZones::new(parse_tz("America/New_York").expect("a known zone"));
        let _ = zones.to_utc("site", local);
    }
}
