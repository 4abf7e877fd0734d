//! One pass over a JSON object that reads the fields of every JSON event shape at once.
//!
//! Records on one stream mix AlarmDecoder `dict()`s, MODE events and S3 notifications. Instead
//! of parsing into a `serde_json::Value` and then looking at it, the object is deserialized into
//! one struct of optional, borrowed fields; which fields are present says which shape it is.
//! Unknown fields are collected as raw text for the `extra` column. This is what makes JSON decoding fast enough for a million
//! events per second per core.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json_scalar::Scalar;
use crate::reject::{DecodeError, RejectReason};

#[derive(Debug, Default, Deserialize)]
pub struct Probe<'a> {
    // AlarmDecoder keypad dict()
    pub ac_power: Option<bool>,
    pub alarm_event_occurred: Option<bool>,
    pub alarm_sounding: Option<bool>,
    pub armed_away: Option<bool>,
    pub armed_home: Option<bool>,
    pub backlight_on: Option<bool>,
    pub battery_low: Option<bool>,
    #[serde(borrow)]
    pub beeps: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub bitfield: Option<Cow<'a, str>>,
    pub check_zone: Option<bool>,
    pub chime_on: Option<bool>,
    #[serde(borrow)]
    pub cursor_location: Option<Scalar<'a>>,
    pub entry_delay_off: Option<bool>,
    pub fire_alarm: Option<bool>,
    #[serde(borrow)]
    pub mask: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub numeric_code: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub panel_data: Option<Cow<'a, str>>,
    pub perimeter_only: Option<bool>,
    pub programming_mode: Option<bool>,
    pub ready: Option<bool>,
    #[serde(borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub time: Option<Scalar<'a>>,
    pub zone_bypassed: Option<bool>,
    // expander / relay
    #[serde(borrow)]
    pub address: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub channel: Option<Scalar<'a>>,
    /// Expander and RF values are integers; AUI values are hex text.
    #[serde(borrow)]
    pub value: Option<Scalar<'a>>,
    // RF
    #[serde(borrow)]
    pub serial_number: Option<Scalar<'a>>,
    pub battery: Option<bool>,
    pub supervision: Option<bool>,
    // LRR (old library: event_data, event_type, partition, time)
    #[serde(borrow)]
    pub event_data: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub partition: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub report_code: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub event_prefix: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub event_source: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub event_status: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub event_code: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub event_description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub event_data_type: Option<Cow<'a, str>>,
    // MODE event
    #[serde(rename = "homeId", borrow)]
    pub home_id: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub timestamp: Option<Scalar<'a>>,
    #[serde(rename = "eventType", borrow)]
    pub mode_event_type: Option<Scalar<'a>>,
    #[serde(rename = "eventData", borrow)]
    pub event_data_json: Option<&'a RawValue>,
    #[serde(rename = "originDeviceId", borrow)]
    pub origin_device_id: Option<Scalar<'a>>,
    #[serde(rename = "originDeviceClass", borrow)]
    pub origin_device_class: Option<Scalar<'a>>,
    #[serde(rename = "originDeviceIp", borrow)]
    pub origin_device_ip: Option<Scalar<'a>>,
    #[serde(rename = "originProjectKeyId", borrow)]
    pub origin_project_key_id: Option<Scalar<'a>>,
    #[serde(rename = "originProjectKeyName", borrow)]
    pub origin_project_key_name: Option<Scalar<'a>>,
    // S3 event notification
    #[serde(rename = "Records", borrow)]
    pub s3_records: Option<&'a RawValue>,
    /// A field some relays add to AlarmDecoder dicts to say which home sent them, so that one
    /// file or stream can carry many homes. It wins over the record's partition key.
    #[serde(borrow)]
    pub site: Option<Cow<'a, str>>,
    /// `s3:TestEvent` notifications have `Event` and no `Records`.
    #[serde(rename = "Event", borrow)]
    pub s3_event: Option<Cow<'a, str>>,
    /// Fields no decoder reads, as (key, raw JSON value), kept for the `extra` column (see
    /// [`crate::drift`]). The fast path fills it as it reads; after serde, the caller does.
    #[serde(skip)]
    pub unknown: Vec<(Cow<'a, str>, &'a str)>,
}

/// The JSON shapes a record can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Keypad,
    Expander,
    Rf,
    Lrr,
    Aui,
    Mode,
    S3Notification,
    Unknown,
}

impl Probe<'_> {
    /// Says which shape the object has, from the fields present. Each shape has fields no other
    /// has, so the order only matters for malformed mixtures.
    pub fn shape(&self) -> Shape {
        if self.s3_records.is_some() || self.s3_event.is_some() {
            Shape::S3Notification
        } else if self.home_id.is_some()
            || self.mode_event_type.is_some()
            || self.event_data_json.is_some()
        {
            Shape::Mode
        } else if self.bitfield.is_some()
            || self.panel_data.is_some()
            || self.text.is_some()
            || self.ready.is_some()
        {
            Shape::Keypad
        } else if self.serial_number.is_some() {
            Shape::Rf
        } else if self.event_type.is_some() || self.event_data.is_some() {
            Shape::Lrr
        } else if self.address.is_some() || self.channel.is_some() {
            Shape::Expander
        } else if self.value.is_some() {
            Shape::Aui
        } else {
            Shape::Unknown
        }
    }
}

/// Maps a serde_json error to a rejection: syntax errors are invalid JSON, the rest are values
/// of the wrong type.
pub fn json_error(err: &serde_json::Error) -> DecodeError {
    let reason = match err.classify() {
        serde_json::error::Category::Data => RejectReason::WrongType,
        _ => RejectReason::InvalidJson,
    };
    DecodeError::new(reason, err.to_string())
}

/// Parses one JSON object line.
pub fn probe(line: &str) -> Result<Probe<'_>, DecodeError> {
    serde_json::from_str(line).map_err(|e| json_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let cases = [
            (r#"{"bitfield":"[1]","text":"x"}"#, Shape::Keypad),
            (
                r#"{"address":7,"channel":1,"value":1,"time":"2017-01-17T23:41:02"}"#,
                Shape::Expander,
            ),
            (
                r#"{"serial_number":"0180036","value":128,"battery":false,"supervision":false}"#,
                Shape::Rf,
            ),
            (
                r#"{"event_data":"012","event_type":"ARM_STAY","partition":"1"}"#,
                Shape::Lrr,
            ),
            (r#"{"value":"0201ff"}"#, Shape::Aui),
            (
                r#"{"homeId":173,"eventType":"abc","eventData":{},"timestamp":"2016-01-04T23:26:09.521Z"}"#,
                Shape::Mode,
            ),
            (r#"{"Records":[]}"#, Shape::S3Notification),
            (r#"{"something":"else"}"#, Shape::Unknown),
        ];
        for (json, shape) in cases {
            assert_eq!(probe(json).unwrap().shape(), shape, "{json}");
        }
    }

    #[test]
    fn errors_are_classified() {
        assert_eq!(
            probe(r#"{"ready":"yes"}"#).unwrap_err().reason,
            RejectReason::WrongType
        );
        assert_eq!(
            probe(r#"{"ready":true"#).unwrap_err().reason,
            RejectReason::InvalidJson
        );
        assert_eq!(
            probe(r#"[1,2]"#).unwrap_err().reason,
            RejectReason::WrongType
        );
    }
}
