//! A fast path for the common case of [`crate::json_probe`]: a flat JSON object (scalar values,
//! no escapes) such as the AlarmDecoder relay writes for every message.
//!
//! serde_json is general, and on these small, flat, 600-byte objects half its time goes to
//! machinery the input never needs. This reader handles only what it can prove it reads exactly
//! as serde would, and gives up (`None`) on anything else: escapes, floats, nested values,
//! duplicate known keys, a value of the wrong type, or any syntax error. The caller then parses
//! the same text with serde, which also produces the precise error message. So the fast path
//! changes speed, never results; a property test checks that against serde.

use std::borrow::Cow;

use crate::json_probe::Probe;
use crate::json_scalar::Scalar;

/// A scalar JSON value as read by the fast path.
#[derive(Clone, Copy)]
enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Null,
}

/// The offset of the first byte at or after `i` that is not JSON whitespace.
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// True when any byte of `word` is a quote, a backslash or a control character. Strings are
/// most of the bytes of a dict, so they are scanned eight bytes at a time.
fn has_special_byte(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    (has_zero(word ^ (ONES * u64::from(b'"')))
        | has_zero(word ^ (ONES * u64::from(b'\\')))
        | control)
        != 0
}

/// Reads the string starting at the quote at `i`; `None` if it has escapes or control characters.
fn string_at(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let start = i + 1;
    let mut j = start;
    while let Some(chunk) = b.get(j..j + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        if has_special_byte(word) {
            break;
        }
        j += 8;
    }
    loop {
        match *b.get(j)? {
            b'"' => return Some((text.get(start..j)?, j + 1)),
            b'\\' | 0x00..=0x1f => return None,
            _ => j += 1,
        }
    }
}

/// Reads an integer in strict JSON grammar; `None` for fractions, exponents and overflow.
fn int_at(b: &[u8], i: usize) -> Option<(i64, usize)> {
    let negative = b.get(i) == Some(&b'-');
    let start = i + usize::from(negative);
    let digits = b
        .get(start..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = start + digits;
    // serde reads "-0" as the float -0.0, so negative zero is left to it.
    let leading_zero = b[start] == b'0' && (digits > 1 || negative);
    if digits == 0 || leading_zero || matches!(b.get(end), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let mut value: i64 = 0;
    for &d in &b[start..end] {
        let digit = i64::from(d - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some((value, end))
}

fn value_at(text: &str, i: usize) -> Option<(Value<'_>, usize)> {
    let b = text.as_bytes();
    let literal = |word: &[u8], value: Value<'static>| {
        b.get(i..i + word.len())
            .filter(|w| *w == word)
            .map(|_| (value, i + word.len()))
    };
    match *b.get(i)? {
        b'"' => string_at(text, i).map(|(s, end)| (Value::Str(s), end)),
        b't' => literal(b"true", Value::Bool(true)),
        b'f' => literal(b"false", Value::Bool(false)),
        b'n' => literal(b"null", Value::Null),
        b'-' | b'0'..=b'9' => int_at(b, i).map(|(n, end)| (Value::Int(n), end)),
        _ => None,
    }
}

/// Marks field `n` as seen; `None` if it already was (serde rejects duplicate fields).
fn mark(seen: &mut u64, n: u32) -> Option<()> {
    let bit = 1u64 << n;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

fn assign<'a>(p: &mut Probe<'a>, seen: &mut u64, key: &str, v: Value<'a>) -> Option<()> {
    // An `Option<bool>` field takes true, false or null (None), as serde does.
    macro_rules! boolean {
        ($n:expr, $field:ident) => {{
            mark(seen, $n)?;
            p.$field = match v {
                Value::Bool(x) => Some(x),
                Value::Null => None,
                _ => return None,
            };
        }};
    }
    // An `Option<Scalar>` field takes any scalar; null is None.
    macro_rules! scalar {
        ($n:expr, $field:ident) => {{
            mark(seen, $n)?;
            p.$field = match v {
                Value::Str(s) => Some(Scalar::Str(Cow::Borrowed(s))),
                Value::Int(i) => Some(Scalar::Int(i)),
                Value::Bool(x) => Some(Scalar::Bool(x)),
                Value::Null => None,
            };
        }};
    }
    // An `Option<Cow<str>>` field takes a string or null.
    macro_rules! text {
        ($n:expr, $field:ident) => {{
            mark(seen, $n)?;
            p.$field = match v {
                Value::Str(s) => Some(Cow::Borrowed(s)),
                Value::Null => None,
                _ => return None,
            };
        }};
    }
    // Raw JSON fields keep their text; serde handles them.
    if key == "eventData" || key == "Records" {
        return None;
    }
    // Dispatch on the length first: a flat match over fifty keys compares them one by one.
    // Unknown fields are left alone here; the caller sees that no field bit was set.
    match key.len() {
        4 => match key {
            "site" => text!(48, site),
            "mask" => scalar!(14, mask),
            "text" => text!(20, text),
            "time" => scalar!(21, time),
            _ => {}
        },
        5 => match key {
            "beeps" => scalar!(7, beeps),
            "ready" => boolean!(19, ready),
            "value" => scalar!(25, value),
            "Event" => text!(47, s3_event),
            _ => {}
        },
        6 if key == "homeId" => scalar!(39, home_id),
        7 => match key {
            "address" => scalar!(23, address),
            "channel" => scalar!(24, channel),
            "battery" => boolean!(27, battery),
            _ => {}
        },
        8 => match key {
            "ac_power" => boolean!(0, ac_power),
            "bitfield" => text!(8, bitfield),
            "chime_on" => boolean!(10, chime_on),
            _ => {}
        },
        9 => match key {
            "partition" => scalar!(31, partition),
            "timestamp" => scalar!(40, timestamp),
            "eventType" => scalar!(41, mode_event_type),
            _ => {}
        },
        10 => match key {
            "armed_away" => boolean!(3, armed_away),
            "armed_home" => boolean!(4, armed_home),
            "check_zone" => boolean!(9, check_zone),
            "fire_alarm" => boolean!(13, fire_alarm),
            "panel_data" => text!(16, panel_data),
            "event_data" => scalar!(29, event_data),
            "event_type" => text!(30, event_type),
            "event_code" => scalar!(36, event_code),
            _ => {}
        },
        11 => match key {
            "battery_low" => boolean!(6, battery_low),
            "supervision" => boolean!(28, supervision),
            "report_code" => scalar!(32, report_code),
            _ => {}
        },
        12 => match key {
            "backlight_on" => boolean!(5, backlight_on),
            "numeric_code" => scalar!(15, numeric_code),
            "event_prefix" => text!(33, event_prefix),
            "event_source" => scalar!(34, event_source),
            "event_status" => scalar!(35, event_status),
            _ => {}
        },
        13 => match key {
            "zone_bypassed" => boolean!(22, zone_bypassed),
            "serial_number" => scalar!(26, serial_number),
            _ => {}
        },
        14 => match key {
            "alarm_sounding" => boolean!(2, alarm_sounding),
            "perimeter_only" => boolean!(17, perimeter_only),
            "originDeviceId" => scalar!(42, origin_device_id),
            "originDeviceIp" => scalar!(44, origin_device_ip),
            _ => {}
        },
        15 => match key {
            "cursor_location" => scalar!(11, cursor_location),
            "entry_delay_off" => boolean!(12, entry_delay_off),
            "event_data_type" => text!(38, event_data_type),
            _ => {}
        },
        16 if key == "programming_mode" => boolean!(18, programming_mode),
        17 => match key {
            "event_description" => text!(37, event_description),
            "originDeviceClass" => scalar!(43, origin_device_class),
            _ => {}
        },
        18 if key == "originProjectKeyId" => scalar!(45, origin_project_key_id),
        20 => match key {
            "alarm_event_occurred" => boolean!(1, alarm_event_occurred),
            "originProjectKeyName" => scalar!(46, origin_project_key_name),
            _ => {}
        },
        _ => {}
    }
    Some(())
}

/// Reads the flat object at the start of `text` into `probe` (which must be empty) and returns
/// the offset just after it, or `None` when serde must do it.
///
/// The probe is filled in place: it is over a kilobyte, and moving it per record showed up.
pub fn probe_into<'a>(text: &'a str, probe: &mut Probe<'a>) -> Option<usize> {
    let b = text.as_bytes();
    let mut seen = 0u64;
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(b, 1);
    if b.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = string_at(text, i)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, i + 1);
        let (value, next) = value_at(text, value_start)?;
        let seen_before = seen;
        assign(probe, &mut seen, key, value)?;
        if seen == seen_before {
            // No field took it: a field the decoders do not know, kept for `extra`.
            probe
                .unknown
                .push((Cow::Borrowed(key), text.get(value_start..next)?));
        }
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(i + 1),
            _ => return None,
        }
    }
}

/// [`probe_into`] for a fresh probe.
pub fn probe_prefix(text: &str) -> Option<(Probe<'_>, usize)> {
    let mut probe = Probe::default();
    probe_into(text, &mut probe).map(|end| (probe, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde makes of the first value of `text`, in the same form as the fast path.
    fn serde_prefix(text: &str) -> Option<(String, usize)> {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Probe>();
        match stream.next() {
            Some(Ok(p)) => Some((format!("{p:?}"), stream.byte_offset())),
            _ => None,
        }
    }

    /// The fast path reads what serde reads, and keeps as unknown exactly the fields that
    /// `drift::unknown_fields` finds.
    fn agree(text: &str) {
        if let Some((mut fast, end)) = probe_prefix(text) {
            let unknown = std::mem::take(&mut fast.unknown);
            let serde = serde_prefix(text);
            assert_eq!(
                Some((format!("{fast:?}"), end)),
                serde,
                "fast path disagrees with serde on {text:?}"
            );
            assert_eq!(
                unknown,
                crate::drift::unknown_fields(&text[..end]),
                "unknown fields of {text:?}"
            );
        }
    }

    #[test]
    fn reads_relay_dicts() {
        let text = r#"{"address": 7, "channel": 1, "time": "2017-01-17T23:41:02", "value": 1}"#;
        let (p, end) = probe_prefix(text).unwrap();
        assert_eq!(end, text.len());
        assert_eq!(p.address, Some(Scalar::Int(7)));
        agree(text);
        agree(
            r#"{"ready": true, "text": "FAULT 05", "beeps": -0, "cursor_location": -1, "x": null}{"next": 1}"#,
        );
    }

    #[test]
    fn string_scan_finds_specials_in_any_lane() {
        for lane in 0..8 {
            for special in [b'"', b'\\', 0x01, 0x1f] {
                let mut word = [b'a'; 8];
                word[lane] = special;
                assert!(
                    has_special_byte(u64::from_le_bytes(word)),
                    "{special:#x} in lane {lane}"
                );
            }
            let mut word = [b'a'; 8];
            word[lane] = 0xc3; // UTF-8 lead byte: not special
            assert!(!has_special_byte(u64::from_le_bytes(word)));
        }
        assert!(!has_special_byte(u64::from_le_bytes(*b" ~!#[]{}")));
    }

    #[test]
    fn declines_what_it_cannot_prove() {
        for text in [
            r#"{"text": "a\"b"}"#,
            r#"{"time": 1.5}"#,
            r#"{"mask": 01}"#,
            r#"{"mask": 99999999999999999999}"#,
            r#"{"eventData": {}}"#,
            r#"{"other": [1]}"#,
            r#"{"ready": true, "ready": false}"#,
            r#"{"ready": "yes"}"#,
            r#"{"ready": true,}"#,
            r#"{"ready" true}"#,
            "{\"text\": \"a\u{1}b\"}",
            r#"{"ready": tru}"#,
        ] {
            assert!(probe_prefix(text).is_none(), "{text}");
        }
    }

    const KEYS: &[&str] = &[
        "ready",
        "text",
        "beeps",
        "time",
        "value",
        "partition",
        "homeId",
        "bitfield",
        "battery",
        "unknown",
        "Event",
        "event_type",
    ];
    const VALUES: &[&str] = &[
        "true",
        "false",
        "null",
        "0",
        "-1",
        "12",
        "007",
        "1.5",
        "1e3",
        "\"x\"",
        "\"a b\"",
        "\"é\"",
        "\"q\\\"\"",
        "[]",
        "{}",
        "99999999999999999999",
        "-9223372036854775808",
        "tru",
    ];

    proptest! {
        #[test]
        fn agrees_with_serde(pairs in proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..8), spaces in any::<bool>(), tail in "[ {}x,]{0,3}") {
            let sep = if spaces { ", " } else { "," };
            let colon = if spaces { ": " } else { ":" };
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{}\"{colon}{}", KEYS[*k], VALUES[*v])).collect();
            let text = format!("{{{}}}{tail}", body.join(sep));
            agree(&text);
        }
    }
}
