//! Rejections: every input the decoders cannot turn into an event becomes a [`Rejected`] value
//! and, downstream, a row in the `dead_letters` table. Nothing is dropped silently.

use std::fmt;

/// Why a record or line was rejected. The names returned by [`RejectReason::as_str`] are stored
/// in the lake and used in queries and alerts, so they are stable: add reasons, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The record had no bytes, or only whitespace.
    EmptyRecord,
    /// The bytes are not UTF-8 and the source does not carry bulk data.
    InvalidUtf8,
    /// A NUL or other control character inside a text line.
    ControlCharacter,
    /// A single line longer than the configured limit.
    LineTooLong,
    /// Text that starts like JSON but does not parse.
    InvalidJson,
    /// Valid JSON whose fields have the wrong types (a string where a boolean belongs, ...).
    WrongType,
    /// Valid JSON without a field the format requires.
    MissingField,
    /// A JSON value that is none of the known event shapes.
    UnknownJsonShape,
    /// A time field that is not a valid timestamp.
    InvalidTimestamp,
    /// A keypad message whose bitfield, code, panel data or text is malformed.
    MalformedKeypad,
    /// An `!EXP:` or `!REL:` line, or its JSON form, that is malformed.
    MalformedExpander,
    /// An `!RFX:` line, or its JSON form, that is malformed.
    MalformedRf,
    /// An `!LRR:` line, or its JSON form, that is malformed.
    MalformedLrr,
    /// An `!AUI:` line, or its JSON form, that is malformed.
    MalformedAui,
    /// A `!XXX:` line of a kind the decoder does not know.
    UnknownMessageType,
    /// A text line that is neither JSON nor any AlarmDecoder line.
    UnrecognizedLine,
    /// A MODE event with a missing or invalid field.
    InvalidModeEvent,
    /// An S3 event notification that is malformed.
    InvalidS3Notification,
    /// An S3 object key outside the camera upload layout.
    UnknownS3Key,
}

impl RejectReason {
    /// Every reason, for documentation, reports and tests.
    pub const ALL: [RejectReason; 19] = [
        RejectReason::EmptyRecord,
        RejectReason::InvalidUtf8,
        RejectReason::ControlCharacter,
        RejectReason::LineTooLong,
        RejectReason::InvalidJson,
        RejectReason::WrongType,
        RejectReason::MissingField,
        RejectReason::UnknownJsonShape,
        RejectReason::InvalidTimestamp,
        RejectReason::MalformedKeypad,
        RejectReason::MalformedExpander,
        RejectReason::MalformedRf,
        RejectReason::MalformedLrr,
        RejectReason::MalformedAui,
        RejectReason::UnknownMessageType,
        RejectReason::UnrecognizedLine,
        RejectReason::InvalidModeEvent,
        RejectReason::InvalidS3Notification,
        RejectReason::UnknownS3Key,
    ];

    /// The stable snake_case name stored in `dead_letters.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::EmptyRecord => "empty_record",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::ControlCharacter => "control_character",
            RejectReason::LineTooLong => "line_too_long",
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::WrongType => "wrong_type",
            RejectReason::MissingField => "missing_field",
            RejectReason::UnknownJsonShape => "unknown_json_shape",
            RejectReason::InvalidTimestamp => "invalid_timestamp",
            RejectReason::MalformedKeypad => "malformed_keypad",
            RejectReason::MalformedExpander => "malformed_expander",
            RejectReason::MalformedRf => "malformed_rf",
            RejectReason::MalformedLrr => "malformed_lrr",
            RejectReason::MalformedAui => "malformed_aui",
            RejectReason::UnknownMessageType => "unknown_message_type",
            RejectReason::UnrecognizedLine => "unrecognized_line",
            RejectReason::InvalidModeEvent => "invalid_mode_event",
            RejectReason::InvalidS3Notification => "invalid_s3_notification",
            RejectReason::UnknownS3Key => "unknown_s3_key",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decoding failure: the stable reason, a human-readable detail, and the raw bytes of the
/// line or record that failed, so that it can be fixed and replayed later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub reason: RejectReason,
    pub detail: String,
    pub raw: Vec<u8>,
}

/// A failure found inside one decoder, before the raw bytes are attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct DecodeError {
    pub reason: RejectReason,
    pub detail: String,
    /// The top-level JSON field whose value had the wrong type, when one did: the decoder can
    /// then keep the event without it (see [`crate::drift`]).
    pub field: Option<String>,
}

impl DecodeError {
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        DecodeError {
            reason,
            detail: detail.into(),
            field: None,
        }
    }

    /// Names the field whose value had the wrong type.
    pub fn in_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// Attaches the raw input that failed.
    pub fn with_raw(self, raw: &[u8]) -> Rejected {
        Rejected {
            reason: self.reason,
            detail: self.detail,
            raw: raw.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        assert!(names.iter().all(|n| {
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RejectReason::ALL.len());
    }
}
