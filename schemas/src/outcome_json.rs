//! One JSON object per outcome, for `alarmlake decode`: `{"table": ..., <typed fields>}`.
//!
//! AlarmDecoder fields keep the library's `dict()` names so the output can be compared with
//! the reference library field by field.

use crate::event::{EventBody, Outcome};
use crate::position::RecordPosition;
use serde_json::{Map, Value, json};

/// Longest raw text shown for a dead letter or a bulk payload.
const PREVIEW_BYTES: usize = 1024;

fn preview(bytes: &[u8]) -> String {
    let cut = bytes.len().min(PREVIEW_BYTES);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if bytes.len() > cut {
        text.push('…');
    }
    text
}

fn merge(object: &mut Map<String, Value>, fields: Value) {
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
}

/// Renders one outcome, or `None` for chatter (which is only counted).
pub fn render(position: &RecordPosition, outcome: &Outcome) -> Option<Value> {
    let mut object = Map::new();
    match outcome {
        Outcome::Event(event) => {
            object.insert("table".into(), json!(event.body.table().name()));
            object.insert("site".into(), json!(event.site));
            object.insert(
                "event_time".into(),
                json!(
                    event
                        .event_time
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
            );
            match &event.body {
                EventBody::Alarm(alarm) => {
                    object.insert("message_type".into(), json!(alarm.message.message_type()));
                    if let Some(time) = &alarm.time {
                        object.insert("time".into(), json!(time));
                    }
                    merge(
                        &mut object,
                        serde_json::to_value(&alarm.message).unwrap_or(Value::Null),
                    );
                    if let Some(raw) = &alarm.raw {
                        object.insert("raw".into(), json!(raw));
                    }
                }
                EventBody::Mode(mode) => merge(
                    &mut object,
                    serde_json::to_value(mode).unwrap_or(Value::Null),
                ),
                EventBody::Camera(media) => merge(
                    &mut object,
                    serde_json::to_value(media).unwrap_or(Value::Null),
                ),
                EventBody::Bulk(bulk) => {
                    object.insert("size".into(), json!(bulk.payload.len()));
                    object.insert("content_type".into(), json!(bulk.content_type.as_str()));
                    object.insert("payload_preview".into(), json!(preview(&bulk.payload)));
                }
            }
            object.insert("event_index".into(), json!(event.index));
        }
        Outcome::Rejected {
            index,
            site,
            rejected,
        } => {
            object.insert("table".into(), json!("dead_letters"));
            object.insert("site".into(), json!(site));
            object.insert("reason".into(), json!(rejected.reason.as_str()));
            object.insert("detail".into(), json!(rejected.detail));
            object.insert("raw".into(), json!(preview(&rejected.raw)));
            object.insert("raw_size".into(), json!(rejected.raw.len()));
            object.insert("event_index".into(), json!(index));
        }
        Outcome::Chatter { .. } => return None,
    }
    object.insert("source".into(), json!(position.shard_id.as_ref()));
    object.insert(
        "line".into(),
        json!(position.sequence_number.parse::<u64>().ok()),
    );
    Some(Value::Object(object))
}
