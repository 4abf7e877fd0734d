//! The JSON `dict()` form of AlarmDecoder messages, as the relay sends it with
//! `json.dumps(message.dict(), sort_keys=True)`.
//!
//! The JSON carries the flags the library computed but not the panel type or system fault; both
//! are recovered from the bitfield when it is present. LRR objects differ between library
//! versions: the old one has only `event_data`, `event_type`, `partition` and `time`, the new one
//! adds derived fields. The derived fields are recomputed here from `event_type` and
//! `report_code`, so both versions decode to the same event.

use super::AlarmMessage;
use super::aui::AuiMessage;
use super::expander::{ExpanderMessage, ModuleKind};
use super::keypad::{self, KeypadFlags, KeypadMessage};
use super::keypad_text::KeypadMeaning;
use super::lrr::LrrMessage;
use super::rf::{self, RfMessage};
use crate::json_probe::{Probe, Shape};
use crate::json_scalar::Scalar;
use crate::reject::{DecodeError, RejectReason};

fn missing(shape: &str, field: &str) -> DecodeError {
    DecodeError::new(
        RejectReason::MissingField,
        format!("{shape} object has no {field:?}"),
    )
}

fn wrong_type(field: &str, expected: &str, got: &Scalar) -> DecodeError {
    DecodeError::new(
        RejectReason::WrongType,
        format!("{field:?} is {}, expected {expected}", got.kind()),
    )
    .in_field(field)
}

/// Reads a required integer field within `range`.
fn int_field<T: TryFrom<i64>>(
    value: Option<&Scalar>,
    shape: &str,
    field: &str,
    reason: RejectReason,
) -> Result<T, DecodeError> {
    optional_int_field(value, field, reason)?.ok_or_else(|| missing(shape, field))
}

/// Reads an optional integer field; a value outside `T` is rejected with `reason`.
fn optional_int_field<T: TryFrom<i64>>(
    value: Option<&Scalar>,
    field: &str,
    reason: RejectReason,
) -> Result<Option<T>, DecodeError> {
    let Some(value) = value else { return Ok(None) };
    let int = value
        .as_int()
        .ok_or_else(|| wrong_type(field, "an integer", value))?;
    T::try_from(int)
        .map(Some)
        .map_err(|_| DecodeError::new(reason, format!("{field:?} = {int} is out of range")))
}

/// Reads a required text field that may also be written as an integer.
fn text_field(value: Option<&Scalar>, shape: &str, field: &str) -> Result<String, DecodeError> {
    let value = value.ok_or_else(|| missing(shape, field))?;
    value
        .to_text()
        .map(|t| t.into_owned())
        .ok_or_else(|| wrong_type(field, "a string", value))
}

/// Decodes an AlarmDecoder object of the given shape.
pub fn decode(probe: &Probe, shape: Shape) -> Result<AlarmMessage, DecodeError> {
    match shape {
        Shape::Keypad => keypad(probe).map(AlarmMessage::Keypad),
        Shape::Expander => {
            let reason = RejectReason::MalformedExpander;
            Ok(AlarmMessage::Expander(ExpanderMessage {
                kind: ModuleKind::Expander,
                address: int_field(probe.address.as_ref(), "expander", "address", reason)?,
                channel: int_field(probe.channel.as_ref(), "expander", "channel", reason)?,
                value: int_field(probe.value.as_ref(), "expander", "value", reason)?,
            }))
        }
        Shape::Rf => {
            let serial = text_field(probe.serial_number.as_ref(), "rf", "serial_number")?;
            rf::validate_serial(&serial)?;
            let value: u8 = int_field(
                probe.value.as_ref(),
                "rf",
                "value",
                RejectReason::MalformedRf,
            )?;
            let mut message = RfMessage::from_status(serial, value);
            message.battery = probe.battery.unwrap_or(message.battery);
            message.supervision = probe.supervision.unwrap_or(message.supervision);
            Ok(AlarmMessage::Rf(message))
        }
        Shape::Lrr => lrr(probe).map(AlarmMessage::Lrr),
        Shape::Aui => {
            let value = probe
                .value
                .as_ref()
                .ok_or_else(|| missing("aui", "value"))?;
            match value {
                Scalar::Str(s) => Ok(AlarmMessage::Aui(AuiMessage::parse_value(s)?)),
                other => Err(wrong_type("value", "a hex string", other)),
            }
        }
        Shape::Mode | Shape::S3Notification | Shape::Unknown => Err(DecodeError::new(
            RejectReason::UnknownJsonShape,
            "not an AlarmDecoder message",
        )),
    }
}

fn keypad(probe: &Probe) -> Result<KeypadMessage, DecodeError> {
    let text = probe
        .text
        .as_deref()
        .ok_or_else(|| missing("keypad", "text"))?;
    let numeric_code = text_field(probe.numeric_code.as_ref(), "keypad", "numeric_code")?;
    let panel_data = probe
        .panel_data
        .as_deref()
        .ok_or_else(|| missing("keypad", "panel_data"))?;
    let bits = probe
        .bitfield
        .as_deref()
        .map(keypad::parse_bitfield)
        .transpose()?;
    let from_bits = bits.map(|b| b.flags);
    // A flag comes from the JSON when present, else from the bitfield; with neither, the object
    // is missing a field.
    let flag = |json: Option<bool>,
                bit: fn(&KeypadFlags) -> bool,
                name: &str|
     -> Result<bool, DecodeError> {
        json.or(from_bits.as_ref().map(bit))
            .ok_or_else(|| missing("keypad", name))
    };
    let malformed = RejectReason::MalformedKeypad;
    let beeps = match optional_int_field::<u8>(probe.beeps.as_ref(), "beeps", malformed)? {
        Some(beeps) if beeps <= 15 => beeps,
        Some(beeps) => {
            let detail = format!("\"beeps\" = {beeps} is not 0 to 15");
            return Err(DecodeError::new(malformed, detail));
        }
        None => from_bits
            .map(|f| f.beeps)
            .ok_or_else(|| missing("keypad", "beeps"))?,
    };
    // One flag: the JSON's field of that name, else the bitfield's.
    macro_rules! flag {
        ($name:ident) => {
            flag(probe.$name, |f| f.$name, stringify!($name))?
        };
    }
    let flags = KeypadFlags {
        ready: flag!(ready),
        armed_away: flag!(armed_away),
        armed_home: flag!(armed_home),
        backlight_on: flag!(backlight_on),
        programming_mode: flag!(programming_mode),
        beeps,
        zone_bypassed: flag!(zone_bypassed),
        ac_power: flag!(ac_power),
        chime_on: flag!(chime_on),
        alarm_event_occurred: flag!(alarm_event_occurred),
        alarm_sounding: flag!(alarm_sounding),
        battery_low: flag!(battery_low),
        entry_delay_off: flag!(entry_delay_off),
        fire_alarm: flag!(fire_alarm),
        check_zone: flag!(check_zone),
        perimeter_only: flag!(perimeter_only),
    };
    let mask = match optional_int_field(probe.mask.as_ref(), "mask", malformed)? {
        Some(mask) => mask,
        None => keypad::panel_mask(panel_data)?,
    };
    let cursor_location =
        optional_int_field(probe.cursor_location.as_ref(), "cursor_location", malformed)?
            .unwrap_or_else(|| keypad::cursor_location(panel_data));
    let meaning = KeypadMeaning::interpret(&flags, text);
    Ok(KeypadMessage {
        flags,
        system_fault: bits.and_then(|b| b.system_fault),
        panel_type: bits.map(|b| b.panel_type),
        bitfield: probe.bitfield.as_deref().unwrap_or_default().to_string(),
        numeric_code,
        panel_data: panel_data.to_string(),
        mask,
        cursor_location,
        text: text.to_string(),
        meaning,
    })
}

fn lrr(probe: &Probe) -> Result<LrrMessage, DecodeError> {
    let event_data = text_field(probe.event_data.as_ref(), "lrr", "event_data")?;
    let event_type = probe
        .event_type
        .as_deref()
        .ok_or_else(|| missing("lrr", "event_type"))?;
    let partition: i32 = int_field(
        probe.partition.as_ref(),
        "lrr",
        "partition",
        RejectReason::MalformedLrr,
    )?;
    // The new library writes report_code as text ("ff") for v2 messages and as the integer 255
    // (its default) for v1 messages.
    let report_code = match &probe.report_code {
        None | Some(Scalar::Null) => None,
        Some(Scalar::Str(s)) => Some(s.to_string()),
        Some(Scalar::Int(i)) if (0..=255).contains(i) => Some(format!("{i:02x}")),
        Some(other) => return Err(wrong_type("report_code", "a two-digit hex string", other)),
    };
    let is_v2 = report_code.is_some() && super::lrr::is_qualified_type(event_type);
    let version = if is_v2 { 2 } else { 1 };
    let report = if is_v2 { report_code.as_deref() } else { None };
    let mut message = LrrMessage::build(&event_data, partition, event_type, report, version)?;
    if let Some(kind) = probe
        .event_data_type
        .as_deref()
        .and_then(super::contact_id::DataType::parse)
    {
        message.event_data_type = Some(kind);
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarmdecoder::contact_id::DataType;
    use crate::alarmdecoder::keypad::PanelType;
    use crate::alarmdecoder::keypad_text::ArmState;
    use crate::json_probe::probe;

    fn decode_json(json: &str) -> Result<AlarmMessage, DecodeError> {
        let p = probe(json)?;
        let shape = p.shape();
        decode(&p, shape)
    }

    const KEYPAD: &str = r#"{"ac_power": true, "alarm_event_occurred": false, "alarm_sounding": false, "armed_away": false, "armed_home": true, "backlight_on": false, "battery_low": true, "beeps": 3, "bitfield": "[00100301000100003A0-]", "check_zone": false, "chime_on": false, "cursor_location": -1, "entry_delay_off": false, "fire_alarm": false, "mask": 33558288, "numeric_code": "008", "panel_data": "[f702000f100803cc08020000000000]", "perimeter_only": false, "programming_mode": false, "ready": false, "text": "ARMED ***STAY***You may exit now", "time": "2017-01-17T23:41:02.123456", "zone_bypassed": false}"#;

    #[test]
    fn keypad_dict_matches_raw_line() {
        let AlarmMessage::Keypad(json) = decode_json(KEYPAD).unwrap() else {
            panic!("not keypad")
        };
        let raw = KeypadMessage::parse_line(
            r#"[00100301000100003A0-],008,[f702000f100803cc08020000000000],"ARMED ***STAY***You may exit now""#,
        )
        .unwrap();
        assert_eq!(json, raw);
        assert_eq!(json.panel_type, Some(PanelType::Ademco));
        assert_eq!(json.meaning.arm_state, Some(ArmState::Stay));
    }

    #[test]
    fn keypad_dict_without_bitfield_needs_every_flag() {
        let without_bits = KEYPAD.replace(r#""bitfield": "[00100301000100003A0-]", "#, "");
        let AlarmMessage::Keypad(m) = decode_json(&without_bits).unwrap() else {
            panic!()
        };
        assert_eq!(m.panel_type, None);
        let without_flag = without_bits.replace(r#""ready": false, "#, "");
        assert_eq!(
            decode_json(&without_flag).unwrap_err().reason,
            RejectReason::MissingField
        );
        let bad_beeps = KEYPAD.replace(r#""beeps": 3"#, r#""beeps": 300"#);
        assert_eq!(
            decode_json(&bad_beeps).unwrap_err().reason,
            RejectReason::MalformedKeypad
        );
        let text_beeps = KEYPAD.replace(r#""beeps": 3"#, r#""beeps": [3]"#);
        assert_eq!(
            decode_json(&text_beeps).unwrap_err().reason,
            RejectReason::WrongType
        );
    }

    #[test]
    fn expander_rf_aui() {
        let AlarmMessage::Expander(e) = decode_json(
            r#"{"address": 7, "channel": 1, "time": "2017-01-17T23:41:02", "value": 1}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!((e.address, e.channel, e.value), (7, 1, 1));
        let AlarmMessage::Rf(r) = decode_json(r#"{"battery": false, "serial_number": "0180036", "supervision": false, "time": "2017-01-17T23:41:02", "value": 128}"#).unwrap() else { panic!() };
        assert_eq!(r, RfMessage::parse_fields("0180036,80").unwrap());
        let AlarmMessage::Aui(a) = decode_json(r#"{"value": "0201ff"}"#).unwrap() else {
            panic!()
        };
        assert_eq!(a.aui_value, "0201ff");
        assert_eq!(
            decode_json(r#"{"value": 5}"#).unwrap_err().reason,
            RejectReason::WrongType
        );
        assert_eq!(
            decode_json(r#"{"address": 7, "channel": 1}"#)
                .unwrap_err()
                .reason,
            RejectReason::MissingField
        );
        assert_eq!(
            decode_json(r#"{"address": -7, "channel": 1, "value": 0}"#)
                .unwrap_err()
                .reason,
            RejectReason::MalformedExpander
        );
        assert_eq!(
            decode_json(r#"{"serial_number": "0180036", "value": 256}"#)
                .unwrap_err()
                .reason,
            RejectReason::MalformedRf
        );
    }

    #[test]
    fn lrr_old_and_new_library() {
        let old = decode_json(r#"{"event_data": "012", "event_type": "ARM_STAY", "partition": "1", "time": "2017-01-17T23:41:02"}"#).unwrap();
        let new_v1 = decode_json(r#"{"event_code": "0x0", "event_data": "012", "event_description": "", "event_prefix": "", "event_source": 5, "event_status": 0, "event_type": "ARM_STAY", "partition": "1", "report_code": 255, "time": "2017-01-17T23:41:02"}"#).unwrap();
        assert_eq!(old, new_v1);
        let AlarmMessage::Lrr(v2) = decode_json(r#"{"event_code": "0x401", "event_data": "001", "event_data_type": "U", "event_description": "Open/Close By User", "event_prefix": "CID", "event_source": 1, "event_status": 3, "event_type": "CID_3401", "partition": "1", "report_code": "ff", "time": "2017-01-17T23:41:02"}"#).unwrap() else { panic!() };
        assert_eq!(v2, LrrMessage::parse_fields("001,1,CID_3401,ff").unwrap());
        assert_eq!(v2.event_data_type, Some(DataType::User));
        assert_eq!(
            decode_json(r#"{"event_data": "012", "event_type": "ARM_STAY"}"#)
                .unwrap_err()
                .reason,
            RejectReason::MissingField
        );
    }
}
