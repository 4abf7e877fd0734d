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

/// An `Option<bool>` field takes true, false or null (None), as serde does.
fn boolean(v: Value<'_>) -> Option<Option<bool>> {
    match v {
        Value::Bool(x) => Some(Some(x)),
        Value::Null => Some(None),
        _ => None,
    }
}

/// An `Option<Scalar>` field takes any scalar; null is None.
fn scalar(v: Value<'_>) -> Option<Option<Scalar<'_>>> {
    Some(match v {
        Value::Str(s) => Some(Scalar::Str(Cow::Borrowed(s))),
        Value::Int(i) => Some(Scalar::Int(i)),
        Value::Bool(x) => Some(Scalar::Bool(x)),
        Value::Null => None,
    })
}

/// An `Option<Cow<str>>` field takes a string or null.
fn text(v: Value<'_>) -> Option<Option<Cow<'_, str>>> {
    match v {
        Value::Str(s) => Some(Some(Cow::Borrowed(s))),
        Value::Null => Some(None),
        _ => None,
    }
}

/// The probe's fields: key, number (its bit in the `seen` set), how its value is read, and the
/// probe field it fills. One table gives both the key lookup and the assignment by number.
macro_rules! probe_fields {
    ($($key:literal $n:literal $read:ident $field:ident;)*) => {
        /// The number and the name of the probe field named `key`; `None` for a key the
        /// decoders do not know. Only called for a key that differs from the remembered key
        /// at the same place, so a plain match is enough.
        fn field_of(key: &str) -> Option<(u32, &'static str)> {
            match key {
                $($key => Some(($n, $key)),)*
                _ => None,
            }
        }

        /// Stores `v` in field number `n`; `None` if the value has the wrong type for it.
        fn set<'a>(p: &mut Probe<'a>, n: u32, v: Value<'a>) -> Option<()> {
            match n {
                $($n => p.$field = $read(v)?,)*
                _ => return None,
            }
            Some(())
        }
    };
}

probe_fields! {
    "ac_power" 0 boolean ac_power;
    "alarm_event_occurred" 1 boolean alarm_event_occurred;
    "alarm_sounding" 2 boolean alarm_sounding;
    "armed_away" 3 boolean armed_away;
    "armed_home" 4 boolean armed_home;
    "backlight_on" 5 boolean backlight_on;
    "battery_low" 6 boolean battery_low;
    "beeps" 7 scalar beeps;
    "bitfield" 8 text bitfield;
    "check_zone" 9 boolean check_zone;
    "chime_on" 10 boolean chime_on;
    "cursor_location" 11 scalar cursor_location;
    "entry_delay_off" 12 boolean entry_delay_off;
    "fire_alarm" 13 boolean fire_alarm;
    "mask" 14 scalar mask;
    "numeric_code" 15 scalar numeric_code;
    "panel_data" 16 text panel_data;
    "perimeter_only" 17 boolean perimeter_only;
    "programming_mode" 18 boolean programming_mode;
    "ready" 19 boolean ready;
    "text" 20 text text;
    "time" 21 scalar time;
    "zone_bypassed" 22 boolean zone_bypassed;
    "address" 23 scalar address;
    "channel" 24 scalar channel;
    "value" 25 scalar value;
    "serial_number" 26 scalar serial_number;
    "battery" 27 boolean battery;
    "supervision" 28 boolean supervision;
    "event_data" 29 scalar event_data;
    "event_type" 30 text event_type;
    "partition" 31 scalar partition;
    "report_code" 32 scalar report_code;
    "event_prefix" 33 text event_prefix;
    "event_source" 34 scalar event_source;
    "event_status" 35 scalar event_status;
    "event_code" 36 scalar event_code;
    "event_description" 37 text event_description;
    "event_data_type" 38 text event_data_type;
    "homeId" 39 scalar home_id;
    "timestamp" 40 scalar timestamp;
    "eventType" 41 scalar mode_event_type;
    "originDeviceId" 42 scalar origin_device_id;
    "originDeviceClass" 43 scalar origin_device_class;
    "originDeviceIp" 44 scalar origin_device_ip;
    "originProjectKeyId" 45 scalar origin_project_key_id;
    "originProjectKeyName" 46 scalar origin_project_key_name;
    "Event" 47 text s3_event;
    "site" 48 text site;
}

/// Keys whose values the decoders read as raw JSON text; serde handles those objects.
fn is_raw_json_key(key: &str) -> bool {
    key == "eventData" || key == "Records"
}

/// One key of an object read before, and the probe field it named. Known keys borrow the
/// field's name, so learning an order allocates only for keys no decoder knows.
struct SeenKey {
    key: Cow<'static, str>,
    field: Option<u32>,
}

/// Key orders remembered per thread: one per kind of object a source interleaves (keypad, RF,
/// expander and LRR dicts, MODE events, ...), told apart by their first key.
const KEY_ORDERS: usize = 8;

/// Keys remembered per order: more than any known kind of object has, few enough that an
/// object with thousands of unknown keys does not keep a copy of each.
const KEYS_PER_ORDER: usize = 64;

/// The key orders of objects read before on this thread.
///
/// *Why:* a source writes each kind of object with the same keys in the same order (the
/// relay's dicts are sorted), so the key at each place is nearly always the one the last
/// object of that kind had there. Checking for it is one comparison of bytes, instead of
/// scanning the key for quotes and escapes and then matching it against fifty names, which was
/// most of the fast path's time.
#[derive(Default)]
struct KeyOrders {
    orders: Vec<Vec<SeenKey>>,
    /// The order replaced next when all are taken and an object of a new kind arrives.
    next: usize,
}

impl KeyOrders {
    /// The remembered order whose first key is the key at `i`, or an empty one to learn it:
    /// one left empty (by text with no first key, or an object serde read before its first
    /// key was learnt), else a new one, else the next in turn. So such text never displaces a
    /// kind's order.
    fn for_object(&mut self, b: &[u8], i: usize) -> &mut Vec<SeenKey> {
        let found = self
            .orders
            .iter()
            .position(|order| {
                order
                    .first()
                    .is_some_and(|k| quoted_key_at(b, i, &k.key).is_some())
            })
            .or_else(|| self.orders.iter().position(Vec::is_empty));
        let slot = match found {
            Some(slot) => slot,
            None if self.orders.len() < KEY_ORDERS => {
                self.orders.push(Vec::new());
                self.orders.len() - 1
            }
            None => {
                let slot = self.next % KEY_ORDERS;
                self.next = slot + 1;
                self.orders[slot].clear();
                slot
            }
        };
        &mut self.orders[slot]
    }
}

thread_local! {
    static ORDERS: std::cell::RefCell<KeyOrders> = std::cell::RefCell::new(KeyOrders::default());
}

/// If the bytes at `i` are the quoted `key`, the offset just after the closing quote.
///
/// `key` was read by [`string_at`], so it holds no quote, backslash or control byte: bytes
/// equal to it and followed by a quote are exactly that string.
fn quoted_key_at(b: &[u8], i: usize, key: &str) -> Option<usize> {
    let start = i + 1;
    let end = start + key.len();
    (b.get(i) == Some(&b'"')
        && b.get(start..end) == Some(key.as_bytes())
        && b.get(end) == Some(&b'"'))
    .then_some(end + 1)
}

/// Reads the flat object at the start of `text` into `probe` (which must be empty) and returns
/// the offset just after it, or `None` when serde must do it.
///
/// The probe is filled in place: it is over a kilobyte, and moving it per record showed up.
pub fn probe_into<'a>(text: &'a str, probe: &mut Probe<'a>) -> Option<usize> {
    let b = text.as_bytes();
    let first_key = skip_ws(b, 1);
    ORDERS.with(|orders| match orders.try_borrow_mut() {
        Ok(mut orders) => probe_object(text, probe, orders.for_object(b, first_key)),
        // Only if a probe ran inside a probe, which nothing does: read without remembering.
        Err(_) => probe_object(text, probe, &mut Vec::new()),
    })
}

/// [`probe_into`] with the key order of the last object of the same kind; `last` becomes this
/// object's order (as far as it was read).
fn probe_object<'a>(
    text: &'a str,
    probe: &mut Probe<'a>,
    last: &mut Vec<SeenKey>,
) -> Option<usize> {
    let b = text.as_bytes();
    let mut seen = 0u64;
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(b, 1);
    if b.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    let mut place = 0;
    loop {
        let remembered = last
            .get(place)
            .and_then(|k| Some((quoted_key_at(b, i, &k.key)?, k)));
        let (key, field, next) = match remembered {
            Some((next, k)) => (text.get(i + 1..next - 1)?, k.field, next),
            None => {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let (key, next) = string_at(text, i)?;
                if is_raw_json_key(key) {
                    return None;
                }
                let (field, name) = match field_of(key) {
                    Some((n, name)) => (Some(n), Cow::Borrowed(name)),
                    None => (None, Cow::Owned(key.to_string())),
                };
                last.truncate(place);
                if place < KEYS_PER_ORDER {
                    last.push(SeenKey { key: name, field });
                }
                (key, field, next)
            }
        };
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, i + 1);
        let (value, next) = value_at(text, value_start)?;
        match field {
            Some(n) => {
                mark(&mut seen, n)?;
                set(probe, n, value)?;
            }
            // A field the decoders do not know, kept for `extra`.
            None => probe
                .unknown
                .push((Cow::Borrowed(key), text.get(value_start..next)?)),
        }
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(i + 1),
            _ => return None,
        }
        place += 1;
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

    #[test]
    fn interleaved_kinds_keep_their_own_orders_and_their_number_is_bounded() {
        // Twenty kinds of object, each read three times in turn: more kinds than are
        // remembered, so orders are replaced while they are in use.
        for round in 0..3 {
            for kind in 0..20 {
                let text = format!(
                    r#"{{"kind{kind}": {round}, "ready": true, "text": "t{kind}", "beeps": {round}}}"#
                );
                assert!(probe_prefix(&text).is_some(), "{text}");
                agree(&text);
            }
        }
        ORDERS.with(|orders| assert!(orders.borrow().orders.len() <= KEY_ORDERS));
        // An object with more keys than an order keeps is still read whole, twice.
        let keys: Vec<String> = (0..200).map(|k| format!(r#""u{k}": {k}"#)).collect();
        let wide = format!(r#"{{"ready": true, {}, "text": "w"}}"#, keys.join(", "));
        for _ in 0..2 {
            let (p, end) = probe_prefix(&wide).unwrap();
            assert_eq!(
                (end, p.unknown.len(), p.text.as_deref()),
                (wide.len(), 200, Some("w"))
            );
            agree(&wide);
        }
        ORDERS.with(|orders| {
            let orders = orders.borrow();
            assert!(orders.orders.iter().all(|o| o.len() <= KEYS_PER_ORDER));
        });
        let mut orders = KeyOrders::default();
        let keypad: &[u8] = br#"{"ac_power": true}"#;
        let rf: &[u8] = br#"{"battery": true}"#;
        for (text, name) in [(keypad, "ac_power"), (rf, "battery")] {
            let order = orders.for_object(text, 1);
            assert!(
                order.is_empty(),
                "a new kind starts with nothing remembered"
            );
            order.push(SeenKey {
                key: Cow::Borrowed(name),
                field: field_of(name).map(|(n, _)| n),
            });
        }
        assert_eq!(orders.for_object(keypad, 1)[0].key, "ac_power");
        assert_eq!(orders.for_object(rf, 1)[0].key, "battery");
        assert_eq!(orders.orders.len(), 2);
        // Empty objects, objects serde reads before a first key is learnt, and other text take
        // no order from the kinds already remembered, however many of them arrive.
        for _ in 0..2 * KEY_ORDERS {
            for text in [r#"{}"#, r#"{ "eventData": {"a": 1}}"#, "[1]"] {
                let last = orders.for_object(text.as_bytes(), skip_ws(text.as_bytes(), 1));
                let _ = probe_object(text, &mut Probe::default(), last);
            }
        }
        assert_eq!(orders.orders.len(), 3, "one order, left empty, is reused");
        assert_eq!(orders.for_object(keypad, 1)[0].key, "ac_power");
        assert_eq!(orders.for_object(rf, 1)[0].key, "battery");
    }

    #[test]
    fn remembered_keys_never_change_what_is_read() {
        // One thread, so each object is read with the keys of the one before it. `true`: the
        // fast path must read it; `false`: it must leave it to serde.
        for (text, read) in [
            (r#"{"ready": true, "text": "a", "x": 1}"#, true),
            (r#"{"ready": false, "text": "b", "x": 2}"#, true),
            (r#"{"readyx": 1, "text": "c"}"#, true),
            (r#"{"ready": 1, "text": "c"}"#, false),
            (r#"{"rea": true, "text": "d"}"#, true),
            (r#"{"text": "e", "ready": true}"#, true),
            (r#"{"text": "f", "text": "g"}"#, false),
            (r#"{"text": "f", "x": 1, "x": 2}"#, true),
            (r#"{"te\u0078t": "h"}"#, false),
            (r#"{"text" : "i" , "ready":null}"#, true),
            (r#"{"text": "j", "eventData": {}}"#, false),
            (r#"{"text": "k", "ready": true}"#, true),
        ] {
            assert_eq!(probe_prefix(text).is_some(), read, "{text}");
            agree(text);
        }
        let (p, _) = probe_prefix(r#"{"text": "l", "ready": true, "x": 3}"#).unwrap();
        assert_eq!(p.text.as_deref(), Some("l"));
        assert_eq!(p.ready, Some(true));
        assert_eq!(p.unknown, vec![(Cow::Borrowed("x"), "3")]);
        assert!(probe_prefix(r#"{"text": "f", "text": "g"}"#).is_none());
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
