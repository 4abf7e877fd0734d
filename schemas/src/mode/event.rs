//! MODE events from the Kinesis smart module:
//! `{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"abc","eventData":{},"originDeviceId":260}`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::json_probe::Probe;
use crate::json_scalar::Scalar;
use crate::reject::{DecodeError, RejectReason};
use crate::timestamp;

/// A MODE event. `event_data` is kept as the JSON text the device sent, so nothing in it is
/// lost; SQL reaches inside it with JSON functions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeEvent {
    pub home_id: i64,
    pub event_type: String,
    /// The original `timestamp` text.
    pub timestamp: String,
    pub event_data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_device_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_device_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_device_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_project_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_project_key_name: Option<String>,
}

fn missing(field: &str) -> DecodeError {
    DecodeError::new(
        RejectReason::MissingField,
        format!("MODE event has no {field:?}"),
    )
}

fn wrong_type(field: &str, expected: &str, got: &Scalar) -> DecodeError {
    DecodeError::new(
        RejectReason::WrongType,
        format!("MODE {field:?} is {}, expected {expected}", got.kind()),
    )
    .in_field(field)
}

fn optional_text(value: &Option<Scalar>, field: &str) -> Result<Option<String>, DecodeError> {
    match value {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

impl ModeEvent {
    /// Builds the event and its time from a probed JSON object.
    pub fn from_probe(probe: &Probe) -> Result<(ModeEvent, DateTime<Utc>), DecodeError> {
        let home_id = match probe.home_id.as_ref().ok_or_else(|| missing("homeId"))? {
            Scalar::Int(i) => *i,
            other => return Err(wrong_type("homeId", "an integer", other)),
        };
        let event_type = match probe
            .mode_event_type
            .as_ref()
            .ok_or_else(|| missing("eventType"))?
        {
            Scalar::Str(s) if !s.is_empty() => s.to_string(),
            Scalar::Str(_) => {
                return Err(DecodeError::new(
                    RejectReason::InvalidModeEvent,
                    "MODE \"eventType\" is empty",
                ));
            }
            other => return Err(wrong_type("eventType", "a string", other)),
        };
        let raw_data = probe
            .event_data_json
            .ok_or_else(|| missing("eventData"))?
            .get();
        if !raw_data.starts_with('{') {
            return Err(DecodeError::new(
                RejectReason::InvalidModeEvent,
                "MODE \"eventData\" is not a JSON object",
            ));
        }
        let time_text = match probe
            .timestamp
            .as_ref()
            .ok_or_else(|| missing("timestamp"))?
        {
            Scalar::Str(s) => s.to_string(),
            other => return Err(wrong_type("timestamp", "an RFC 3339 string", other)),
        };
        let time = timestamp::parse_rfc3339(&time_text)?;
        let origin_device_id = match &probe.origin_device_id {
            None | Some(Scalar::Null) => None,
            Some(Scalar::Int(i)) => Some(*i),
            Some(other) => return Err(wrong_type("originDeviceId", "an integer", other)),
        };
        let event = ModeEvent {
            home_id,
            event_type,
            timestamp: time_text,
            event_data: raw_data.to_string(),
            origin_device_id,
            origin_device_class: optional_text(&probe.origin_device_class, "originDeviceClass")?,
            origin_device_ip: optional_text(&probe.origin_device_ip, "originDeviceIp")?,
            origin_project_key_id: optional_text(
                &probe.origin_project_key_id,
                "originProjectKeyId",
            )?,
            origin_project_key_name: optional_text(
                &probe.origin_project_key_name,
                "originProjectKeyName",
            )?,
        };
        Ok((event, time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_probe::probe;

    fn decode(json: &str) -> Result<(ModeEvent, DateTime<Utc>), DecodeError> {
        ModeEvent::from_probe(&probe(json)?)
    }

    #[test]
    fn documented_example_and_optional_fields() {
        let (e, t) = decode(r#"{"homeId":173,"timestamp":"2016-01-04T23:26:09.521Z","eventType":"abc","eventData":{},"originDeviceId":260}"#).unwrap();
        assert_eq!(
            (
                e.home_id,
                e.event_type.as_str(),
                e.event_data.as_str(),
                e.origin_device_id
            ),
            (173, "abc", "{}", Some(260))
        );
        assert_eq!(t.to_rfc3339(), "2016-01-04T23:26:09.521+00:00");
        let (e, _) = decode(r#"{"homeId":5,"timestamp":"2024-05-01T10:00:00Z","eventType":"realtimeData","eventData":{"timeSeriesData":[{"seriesId":"temp","timestamp":"2024-05-01T10:00:00Z","value":21.5}]},"originDeviceId":9,"originDeviceClass":"thermostat","originDeviceIp":"10.0.0.7","originProjectKeyId":"k1","originProjectKeyName":"hub"}"#).unwrap();
        assert_eq!(e.origin_device_class.as_deref(), Some("thermostat"));
        assert_eq!(e.origin_device_ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(e.origin_project_key_name.as_deref(), Some("hub"));
        assert!(e.event_data.contains(r#""seriesId":"temp""#));
    }

    #[test]
    fn invalid_events() {
        let cases = [
            (
                r#"{"timestamp":"2016-01-04T23:26:09Z","eventType":"a","eventData":{}}"#,
                RejectReason::MissingField,
            ),
            (
                r#"{"homeId":"173","timestamp":"2016-01-04T23:26:09Z","eventType":"a","eventData":{}}"#,
                RejectReason::WrongType,
            ),
            (
                r#"{"homeId":1,"timestamp":"2016-01-04T23:26:09Z","eventType":"a","eventData":[1]}"#,
                RejectReason::InvalidModeEvent,
            ),
            (
                r#"{"homeId":1,"timestamp":"2016-01-04T23:26:09","eventType":"a","eventData":{}}"#,
                RejectReason::InvalidTimestamp,
            ),
            (
                r#"{"homeId":1,"timestamp":"2016-01-04T23:26:09Z","eventType":"","eventData":{}}"#,
                RejectReason::InvalidModeEvent,
            ),
            (
                r#"{"homeId":1,"timestamp":"2016-01-04T23:26:09Z","eventType":"a","eventData":{},"originDeviceId":"x"}"#,
                RejectReason::WrongType,
            ),
            (
                r#"{"homeId":1.5,"timestamp":"2016-01-04T23:26:09Z","eventType":"a","eventData":{}}"#,
                RejectReason::WrongType,
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(decode(json).unwrap_err().reason, reason, "{json}");
        }
    }
}
