//! Schema drift without data loss.
//!
//! Producers change: a newer AlarmDecoder library adds a field to its `dict()`, a new MODE
//! device class sends another origin attribute, a relay starts quoting a number. Firehose's
//! format conversion drops what its table does not know; alarmlake keeps it. Known fields keep
//! their typed columns. A field the decoders do not know, and a known field whose value has a
//! type the decoder cannot use, go to the row's `extra` column as a JSON object, unchanged,
//! and are counted (so a dashboard can show that a producer changed). An event is rejected only
//! when it cannot be decoded without the field, and then with the original error.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_probe::Probe;

/// Every top-level field the JSON decoders read (see [`Probe`]).
pub const KNOWN_FIELDS: [&str; 51] = [
    "ac_power",
    "alarm_event_occurred",
    "alarm_sounding",
    "armed_away",
    "armed_home",
    "backlight_on",
    "battery_low",
    "beeps",
    "bitfield",
    "check_zone",
    "chime_on",
    "cursor_location",
    "entry_delay_off",
    "fire_alarm",
    "mask",
    "numeric_code",
    "panel_data",
    "perimeter_only",
    "programming_mode",
    "ready",
    "text",
    "time",
    "zone_bypassed",
    "address",
    "channel",
    "value",
    "serial_number",
    "battery",
    "supervision",
    "event_data",
    "event_type",
    "partition",
    "report_code",
    "event_prefix",
    "event_source",
    "event_status",
    "event_code",
    "event_description",
    "event_data_type",
    "homeId",
    "timestamp",
    "eventType",
    "eventData",
    "originDeviceId",
    "originDeviceClass",
    "originDeviceIp",
    "originProjectKeyId",
    "originProjectKeyName",
    "Records",
    "site",
    "Event",
];

fn is_known(key: &str) -> bool {
    KNOWN_FIELDS.contains(&key)
}

/// What one event kept outside its typed columns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extra {
    /// A JSON object of the kept fields, values exactly as they arrived.
    pub json: String,
    /// Fields the decoders do not know.
    pub unknown_fields: u32,
    /// Known fields whose value had a type the decoder could not use.
    pub type_changed_fields: u32,
}

impl Extra {
    /// The kept fields as one JSON object; `None` when there are none.
    pub fn of(
        unknown: &[(Cow<'_, str>, &str)],
        type_changed: &[(String, String)],
    ) -> Option<Box<Extra>> {
        if unknown.is_empty() && type_changed.is_empty() {
            return None;
        }
        let mut json = String::from("{");
        let pairs = unknown
            .iter()
            .map(|(k, v)| (k.as_ref(), *v))
            .chain(type_changed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (i, (key, value)) in pairs.enumerate() {
            if i > 0 {
                json.push_str(", ");
            }
            // Serialising a string cannot fail.
            let _ = write!(
                json,
                "{}: {value}",
                serde_json::to_string(key).unwrap_or_default()
            );
        }
        json.push('}');
        Some(Box::new(Extra {
            json,
            unknown_fields: u32::try_from(unknown.len()).unwrap_or(u32::MAX),
            type_changed_fields: u32::try_from(type_changed.len()).unwrap_or(u32::MAX),
        }))
    }
}

/// The fields of a JSON object in order, keys decoded and values as raw JSON text.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    fields.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

fn fields(object: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    serde_json::from_str::<Fields>(object).ok().map(|f| f.0)
}

/// The fields of `object` that the decoders do not know, as (key, raw JSON value).
pub fn unknown_fields(object: &str) -> Vec<(Cow<'_, str>, &str)> {
    fields(object)
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| !is_known(key))
        .map(|(key, value)| (key, value.get()))
        .collect()
}

/// Whether a known field's value has a type [`Probe`] cannot take.
fn mistyped(key: &str, value: &RawValue) -> bool {
    let single = format!(
        "{{{}: {}}}",
        serde_json::to_string(key).unwrap_or_default(),
        value.get()
    );
    matches!(
        serde_json::from_str::<Probe>(&single),
        Err(e) if e.classify() == serde_json::error::Category::Data
    )
}

/// The object without its mistyped known fields (or without `also`, a field a decoder refused),
/// and the fields taken out as (key, raw JSON value). `None` if nothing was taken out or the
/// text is not an object.
pub fn without_mistyped(
    object: &str,
    also: Option<&str>,
) -> Option<(String, Vec<(String, String)>)> {
    let fields = fields(object)?;
    let mut kept = String::from("{");
    let mut taken = Vec::new();
    for (key, value) in &fields {
        let take = is_known(key) && (also == Some(key.as_ref()) || mistyped(key, value));
        if take {
            taken.push((key.to_string(), value.get().to_string()));
        } else {
            if kept.len() > 1 {
                kept.push_str(", ");
            }
            let _ = write!(
                kept,
                "{}: {}",
                serde_json::to_string(key).unwrap_or_default(),
                value.get()
            );
        }
    }
    kept.push('}');
    (!taken.is_empty()).then_some((kept, taken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_field_is_read_by_the_probe() {
        // A field the probe reads changes it for one of these values; an unknown one never does.
        let reads = |key: &str| {
            let empty = format!("{:?}", Probe::default());
            ["1", "\"x\"", "true", "{}"].iter().any(|value| {
                serde_json::from_str::<Probe>(&format!("{{\"{key}\": {value}}}"))
                    .is_ok_and(|p| format!("{p:?}") != empty)
            })
        };
        for key in KNOWN_FIELDS {
            assert!(reads(key), "{key} is not a Probe field");
        }
        assert!(!reads("zone_name_v2"));
    }

    #[test]
    fn unknown_fields_are_kept_verbatim_in_order() {
        let object = r#"{"ready": true, "zone_name_v2": "Front door", "text": "x", "rssi": -71.5, "tags": ["a", {"b": null}]}"#;
        let unknown = unknown_fields(object);
        let extra = Extra::of(&unknown, &[]).unwrap();
        assert_eq!(
            extra.json,
            r#"{"zone_name_v2": "Front door", "rssi": -71.5, "tags": ["a", {"b": null}]}"#
        );
        assert_eq!((extra.unknown_fields, extra.type_changed_fields), (3, 0));
        let parsed: serde_json::Value = serde_json::from_str(&extra.json).unwrap();
        assert_eq!(parsed["tags"][1]["b"], serde_json::Value::Null);
        assert!(Extra::of(&unknown_fields(r#"{"ready": true}"#), &[]).is_none());
    }

    #[test]
    fn mistyped_known_fields_are_taken_out() {
        let (kept, taken) = without_mistyped(
            r#"{"ready": "yes", "beeps": 3, "text": "x", "new": 1}"#,
            None,
        )
        .unwrap();
        assert_eq!(kept, r#"{"beeps": 3, "text": "x", "new": 1}"#);
        assert_eq!(taken, [("ready".to_string(), "\"yes\"".to_string())]);
        let (kept, taken) =
            without_mistyped(r#"{"beeps": [3], "text": "x"}"#, Some("beeps")).unwrap();
        assert_eq!(kept, r#"{"text": "x"}"#);
        assert_eq!(taken.len(), 1);
        assert!(without_mistyped(r#"{"beeps": 3}"#, None).is_none());
        assert!(without_mistyped("[1]", None).is_none());
        let extra = Extra::of(&[], &taken).unwrap();
        assert_eq!(extra.json, r#"{"beeps": [3]}"#);
        assert_eq!(extra.type_changed_fields, 1);
    }
}
