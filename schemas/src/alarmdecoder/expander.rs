//! Zone expander (`!EXP:`) and relay (`!REL:`) messages: `address,channel,value`.

use serde::Serialize;

use crate::reject::{DecodeError, RejectReason};

/// Which kind of module sent the message. The JSON form cannot tell expanders from relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    Expander,
    Relay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExpanderMessage {
    #[serde(skip)]
    pub kind: ModuleKind,
    pub address: u32,
    pub channel: u32,
    pub value: i64,
}

impl ExpanderMessage {
    /// Parses the part after `!EXP:` or `!REL:`.
    pub fn parse_fields(kind: ModuleKind, fields: &str) -> Result<ExpanderMessage, DecodeError> {
        let malformed = || {
            DecodeError::new(
                RejectReason::MalformedExpander,
                format!("expected address,channel,value as decimal integers, got {fields:?}"),
            )
        };
        let mut parts = fields.split(',').map(|p| p.trim().parse::<u32>());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Ok(address)), Some(Ok(channel)), Some(Ok(value)), None) => Ok(ExpanderMessage {
                kind,
                address,
                channel,
                value: i64::from(value),
            }),
            _ => Err(malformed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let m = ExpanderMessage::parse_fields(ModuleKind::Expander, "07,01,01").unwrap();
        assert_eq!((m.address, m.channel, m.value), (7, 1, 1));
        let m = ExpanderMessage::parse_fields(ModuleKind::Relay, "12,01,00").unwrap();
        assert_eq!((m.kind, m.address, m.value), (ModuleKind::Relay, 12, 0));
        for bad in ["07,01", "07,01,01,09", "a,01,01", "", "07,,01", "-1,01,01"] {
            assert_eq!(
                ExpanderMessage::parse_fields(ModuleKind::Expander, bad)
                    .unwrap_err()
                    .reason,
                RejectReason::MalformedExpander,
                "{bad}"
            );
        }
    }
}
