//! Long range radio (`!LRR:`) messages: the Contact ID reports a panel sends to its monitoring
//! station, as the AlarmDecoder sees them.
//!
//! - v1: `!LRR:012,1,ARM_STAY`: event data (user or zone), partition, event type name.
//! - v2: `!LRR:001,1,CID_3401,ff`: event data, partition, `PREFIX_SCCC`, report code, where S is
//!   the qualifier (1 event/opening, 3 restore/closing) and CCC the hex Contact ID code. A report
//!   code other than `00`/`ff` replaces the code's last two digits.
//!
//! v1 names are mapped to the Contact ID code they stand for, so that reports can ask one
//! question (`event_code = '0x401'`) of both versions.

use serde::{Serialize, Serializer};

use super::contact_id::{self, DataType, Source};
use crate::reject::{DecodeError, RejectReason};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LrrMessage {
    pub event_data: String,
    pub partition: i32,
    pub event_type: String,
    #[serde(rename = "lrr_version")]
    pub version: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_source: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_status: Option<u8>,
    #[serde(
        serialize_with = "serialize_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_data_type: Option<DataType>,
}

/// Formats a code as Python's `hex()` does (`0x401`, `0x4c`), the library's `dict()` form.
pub fn code_text(code: u16) -> String {
    format!("{code:#x}")
}

fn serialize_code<S: Serializer>(code: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match code {
        Some(c) => s.serialize_str(&code_text(*c)),
        None => s.serialize_none(),
    }
}

/// v1 event type names, with the Contact ID code and qualifier each one reports.
const V1_NAMES: &[(&str, u16, u8)] = &[
    ("ARM_AWAY", 0x401, 3),
    ("ARM_STAY", 0x441, 3),
    ("OPEN", 0x401, 1),
    ("DISARM", 0x401, 1),
    ("CANCEL", 0x406, 1),
    ("ALARM_PANIC", 0x120, 1),
    ("PANIC", 0x120, 1),
    ("FIRE", 0x110, 1),
    ("ALARM_EXIT_ERROR", 0x374, 1),
    ("AC_LOSS", 0x301, 1),
    ("ACLOSS", 0x301, 1),
    ("AC_RESTORE", 0x301, 3),
    ("LOW_BATTERY", 0x302, 1),
    ("LOWBAT", 0x302, 1),
    ("RF_LOW_BATTERY", 0x384, 1),
    ("TROUBLE", 0x300, 1),
    ("BYPASS", 0x570, 1),
    ("TEST", 0x601, 1),
];

fn malformed(detail: String) -> DecodeError {
    DecodeError::new(RejectReason::MalformedLrr, detail)
}

impl LrrMessage {
    /// Parses the part after `!LRR:`.
    pub fn parse_fields(fields: &str) -> Result<LrrMessage, DecodeError> {
        let parts: Vec<&str> = fields.split(',').collect();
        let (data, partition, event_type, report_code) = match parts.as_slice() {
            [d, p, t] => (*d, *p, *t, None),
            [d, p, t, r] => (*d, *p, *t, Some(*r)),
            _ => {
                return Err(malformed(format!(
                    "expected 3 or 4 comma-separated fields, got {fields:?}"
                )));
            }
        };
        let partition = partition
            .trim()
            .parse::<i32>()
            .map_err(|_| malformed(format!("partition {partition:?} is not an integer")))?;
        LrrMessage::build(
            data,
            partition,
            event_type,
            report_code,
            if report_code.is_some() { 2 } else { 1 },
        )
    }

    /// Validates the fields and decodes the event type.
    pub fn build(
        event_data: &str,
        partition: i32,
        event_type: &str,
        report_code: Option<&str>,
        version: u8,
    ) -> Result<LrrMessage, DecodeError> {
        if event_data.is_empty()
            || event_data.len() > 16
            || !event_data.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(malformed(format!(
                "event data {event_data:?} is not a user or zone number"
            )));
        }
        if event_type.is_empty()
            || event_type.len() > 64
            || !event_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(malformed(format!(
                "event type {event_type:?} is not a name or PREFIX_SCCC code"
            )));
        }
        if let Some(r) = report_code
            && (r.len() != 2 || !r.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(malformed(format!(
                "report code {r:?} is not two hex digits"
            )));
        }
        let mut message = LrrMessage {
            event_data: event_data.to_string(),
            partition,
            event_type: event_type.to_string(),
            version,
            report_code: report_code.map(str::to_string),
            event_prefix: None,
            event_source: None,
            event_status: None,
            event_code: None,
            event_description: None,
            event_data_type: None,
        };
        if let Some((prefix, qualified)) = event_type.split_once('_')
            && let Some((status, code)) = parse_qualified_code(qualified)
        {
            let code = match report_code {
                Some(r) if !r.eq_ignore_ascii_case("00") && !r.eq_ignore_ascii_case("ff") => {
                    // The first digit of the code stays; the report code replaces the other two.
                    (code & 0xf00) | u16::from_str_radix(r, 16).unwrap_or(0)
                }
                _ => code,
            };
            let source = Source::from_prefix(prefix);
            message.event_prefix = Some(prefix.to_string());
            message.event_source = Some(source as u8);
            message.event_status = Some(status);
            message.set_code(source, code);
        } else if let Some((_, code, status)) =
            V1_NAMES.iter().find(|(name, _, _)| *name == event_type)
        {
            message.event_status = Some(*status);
            message.set_code(Source::ContactId, *code);
        } else if event_type.contains('_')
            && event_type
                .split_once('_')
                .is_some_and(|(p, _)| matches!(p, "CID" | "DSC" | "AD2" | "ADEMCO"))
        {
            return Err(malformed(format!(
                "event type {event_type:?} has a bad qualifier or code"
            )));
        }
        Ok(message)
    }

    /// Sets the code with its description and user-or-zone meaning.
    pub fn set_code(&mut self, source: Source, code: u16) {
        self.event_code = Some(code);
        self.event_description = Some(
            contact_id::describe(source, code)
                .unwrap_or("Unknown")
                .to_string(),
        );
        self.event_data_type = Some(contact_id::data_type(code));
    }
}

/// True when `event_type` is a `PREFIX_SCCC` Contact ID type such as `CID_3401`.
pub fn is_qualified_type(event_type: &str) -> bool {
    event_type
        .split_once('_')
        .is_some_and(|(_, code)| parse_qualified_code(code).is_some())
}

/// Splits `3401` into the qualifier digit and the three-hex-digit code.
fn parse_qualified_code(text: &str) -> Option<(u8, u16)> {
    let b = text.as_bytes();
    if b.len() != 4 || !b[0].is_ascii_digit() || !b[1..].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Some((b[0] - b'0', u16::from_str_radix(&text[1..], 16).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_line() {
        let m = LrrMessage::parse_fields("012,1,ARM_STAY").unwrap();
        assert_eq!(
            (
                m.event_data.as_str(),
                m.partition,
                m.event_type.as_str(),
                m.version
            ),
            ("012", 1, "ARM_STAY", 1)
        );
        assert_eq!(m.event_code, Some(0x441));
        assert_eq!(m.event_status, Some(3));
        assert_eq!(m.event_data_type, Some(DataType::User));
        assert_eq!(
            m.event_description.as_deref(),
            Some("Open/Close: Armed Stay")
        );
        let unknown = LrrMessage::parse_fields("001,1,SOMETHING_NEW").unwrap();
        assert_eq!(unknown.event_code, None);
    }

    #[test]
    fn v2_line() {
        let m = LrrMessage::parse_fields("001,1,CID_3401,ff").unwrap();
        assert_eq!(m.version, 2);
        assert_eq!(m.event_prefix.as_deref(), Some("CID"));
        assert_eq!(m.event_source, Some(1));
        assert_eq!(m.event_status, Some(3));
        assert_eq!(m.event_code, Some(0x401));
        assert_eq!(code_text(0x401), "0x401");
        assert_eq!(m.event_description.as_deref(), Some("Open/Close: By User"));
        assert_eq!(m.event_data_type, Some(DataType::User));
        let burglary = LrrMessage::parse_fields("005,1,CID_1130,00").unwrap();
        assert_eq!(
            (burglary.event_code, burglary.event_data_type),
            (Some(0x130), Some(DataType::Zone))
        );
    }

    #[test]
    fn report_code_replaces_last_two_digits() {
        let m = LrrMessage::parse_fields("003,1,CID_1100,34").unwrap();
        assert_eq!(m.event_code, Some(0x134));
        assert_eq!(m.event_description.as_deref(), Some("Burglary: Entry/Exit"));
        assert_eq!(m.report_code.as_deref(), Some("34"));
    }

    #[test]
    fn malformed() {
        for bad in [
            "012,1",
            "012,1,ARM_STAY,ff,extra",
            "012,x,ARM_STAY",
            ",1,ARM_STAY",
            "012,1,",
            "001,1,CID_3401,zz",
            "001,1,CID_3401,fff",
            "001,1,CID_34G1,ff",
            "001,1,CID_x401,ff",
            "001,1,ARM STAY",
        ] {
            assert_eq!(
                LrrMessage::parse_fields(bad).unwrap_err().reason,
                RejectReason::MalformedLrr,
                "{bad}"
            );
        }
    }
}
