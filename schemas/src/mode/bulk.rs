//! MODE bulk-data records: arbitrary bytes a device published, one per Kinesis record.
//!
//! The lake stores them as they are, with a content sniff so that queries can pick out the
//! JSON or MessagePack ones without reading every payload.

use serde::Serialize;

use crate::msgpack;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Json,
    Msgpack,
    Text,
    Binary,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Msgpack => "msgpack",
            ContentType::Text => "text",
            ContentType::Binary => "binary",
        }
    }

    /// Sniffs a payload: a complete JSON value, one complete MessagePack value, UTF-8 text
    /// without control characters other than whitespace, or else binary.
    pub fn sniff(payload: &[u8]) -> ContentType {
        let first = payload.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b'{' | b'['))
            && serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok()
        {
            return ContentType::Json;
        }
        if msgpack::is_single_value(payload) {
            return ContentType::Msgpack;
        }
        match std::str::from_utf8(payload) {
            Ok(text)
                if !text.is_empty()
                    && !text.chars().any(|c| c.is_control() && !c.is_whitespace()) =>
            {
                ContentType::Text
            }
            _ => ContentType::Binary,
        }
    }
}

/// One opaque bulk-data payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRecord {
    pub payload: Vec<u8>,
    pub content_type: ContentType,
}

impl BulkRecord {
    pub fn new(payload: Vec<u8>) -> BulkRecord {
        let content_type = ContentType::sniff(&payload);
        BulkRecord {
            payload,
            content_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_kind() {
        assert_eq!(ContentType::sniff(br#" {"t": 21.5} "#), ContentType::Json);
        assert_eq!(ContentType::sniff(b"[1,2]"), ContentType::Json);
        assert_eq!(
            ContentType::sniff(br#"{"t": 21.5"#),
            ContentType::Text,
            "truncated JSON is still text"
        );
        assert_eq!(
            ContentType::sniff(&msgpack::encode_envelope(&[b"x"])),
            ContentType::Msgpack
        );
        assert_eq!(ContentType::sniff(b"temp=21.5\n"), ContentType::Text);
        assert_eq!(ContentType::sniff(b"a\0b"), ContentType::Binary);
        assert_eq!(ContentType::sniff(&[0xff, 0x00, 0x13]), ContentType::Binary);
        assert_eq!(ContentType::sniff(b""), ContentType::Binary);
    }
}
