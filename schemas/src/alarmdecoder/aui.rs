//! AUI messages (`!AUI:<hex>`, newer firmware): raw bytes from the panel's touch-screen bus.
//! Their meaning is panel-specific, so the hex is kept as it is.

use serde::Serialize;

use crate::reject::{DecodeError, RejectReason};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuiMessage {
    /// Hex text, as the device sent it.
    #[serde(rename = "value")]
    pub aui_value: String,
}

impl AuiMessage {
    pub fn parse_value(value: &str) -> Result<AuiMessage, DecodeError> {
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(AuiMessage {
                aui_value: value.to_string(),
            })
        } else {
            Err(DecodeError::new(
                RejectReason::MalformedAui,
                format!("AUI value {value:?} is not hex"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_only() {
        assert_eq!(
            AuiMessage::parse_value("0201ff").unwrap().aui_value,
            "0201ff"
        );
        assert!(AuiMessage::parse_value("").is_err());
        assert!(AuiMessage::parse_value("02 01").is_err());
    }
}
