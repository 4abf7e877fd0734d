//! AlarmDecoder messages, from raw serial lines and from the library's JSON `dict()` form.
//!
//! A raw line is routed by its first characters (see `formats.md`): no `!` or `!KPM:` is a keypad
//! message, `!EXP:`/`!REL:` expander or relay, `!RFX:` RF, `!LRR:` long range radio, `!AUI:`
//! AUI. Status chatter (`!Ready`, `!VER`, ...) carries no event and is counted, not rejected.

pub mod aui;
pub mod contact_id;
pub mod dict;
pub mod expander;
pub mod keypad;
pub mod keypad_text;
pub mod library_wording;
pub mod lrr;
pub mod rf;

use serde::Serialize;

use self::aui::AuiMessage;
use self::expander::{ExpanderMessage, ModuleKind};
use self::keypad::KeypadMessage;
use self::lrr::LrrMessage;
use self::rf::RfMessage;
use crate::reject::{DecodeError, RejectReason};

/// One decoded AlarmDecoder message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AlarmMessage {
    Keypad(KeypadMessage),
    Expander(ExpanderMessage),
    Rf(RfMessage),
    Lrr(LrrMessage),
    Aui(AuiMessage),
}

impl AlarmMessage {
    /// The `message_type` column: keypad, expander, relay, rf, lrr or aui.
    pub fn message_type(&self) -> &'static str {
        match self {
            AlarmMessage::Keypad(_) => "keypad",
            AlarmMessage::Expander(e) => match e.kind {
                ModuleKind::Expander => "expander",
                ModuleKind::Relay => "relay",
            },
            AlarmMessage::Rf(_) => "rf",
            AlarmMessage::Lrr(_) => "lrr",
            AlarmMessage::Aui(_) => "aui",
        }
    }
}

/// An AlarmDecoder event as stored in `alarm_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvent {
    pub message: AlarmMessage,
    /// The relay's original `time` text, when the record was JSON.
    pub time: Option<String>,
    /// The raw serial line, when the record was one.
    pub raw: Option<String>,
}

/// A status line from the device that carries no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chatter(pub &'static str);

/// Device status lines: `!Ready`, `!CONFIG...`, `!VER:...`, `!Sending...`, boot and setup text.
const CHATTER: &[(&str, &str)] = &[
    ("!Ready", "ready"),
    ("!CONFIG", "config"),
    ("!VER", "version"),
    ("!Sending", "sending"),
    ("!boot", "boot"),
    ("!Reading", "reading"),
    ("!setting", "setting"),
    ("!>", "prompt"),
];

/// Parses one raw serial line (without its line ending).
pub fn parse_line(line: &str) -> Result<Result<AlarmMessage, Chatter>, DecodeError> {
    if let Some((_, kind)) = CHATTER.iter().find(|(prefix, _)| line.starts_with(prefix)) {
        return Ok(Err(Chatter(kind)));
    }
    let message = if let Some(fields) = line.strip_prefix("!EXP:") {
        AlarmMessage::Expander(ExpanderMessage::parse_fields(ModuleKind::Expander, fields)?)
    } else if let Some(fields) = line.strip_prefix("!REL:") {
        AlarmMessage::Expander(ExpanderMessage::parse_fields(ModuleKind::Relay, fields)?)
    } else if let Some(fields) = line.strip_prefix("!RFX:") {
        AlarmMessage::Rf(RfMessage::parse_fields(fields)?)
    } else if let Some(fields) = line.strip_prefix("!LRR:") {
        AlarmMessage::Lrr(LrrMessage::parse_fields(fields)?)
    } else if let Some(value) = line.strip_prefix("!AUI:") {
        AlarmMessage::Aui(AuiMessage::parse_value(value)?)
    } else if line.starts_with("!KPM:")
        || line.starts_with('[')
        || looks_like_bracketless_keypad(line)
    {
        AlarmMessage::Keypad(KeypadMessage::parse_line(line)?)
    } else if line.starts_with('!') {
        let name: String = line.chars().take_while(|c| *c != ':').take(16).collect();
        return Err(DecodeError::new(
            RejectReason::UnknownMessageType,
            format!("unknown AlarmDecoder message type {name:?}"),
        ));
    } else {
        let shown: String = line.chars().take(40).collect();
        return Err(DecodeError::new(
            RejectReason::UnrecognizedLine,
            format!("line {shown:?} is neither JSON nor an AlarmDecoder message"),
        ));
    };
    Ok(Ok(message))
}

/// A keypad message whose bitfield lost its brackets: a first field of 17 or more hex digits
/// and dashes, then more fields. Routing it to the keypad parser gives a precise rejection.
fn looks_like_bracketless_keypad(line: &str) -> bool {
    let first = line.split(',').next().unwrap_or("");
    first.len() >= 17
        && line.contains(',')
        && first.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(line: &str) -> AlarmMessage {
        parse_line(line).unwrap().unwrap()
    }

    #[test]
    fn routes_every_kind() {
        assert_eq!(message(r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#).message_type(), "keypad");
        assert_eq!(message(r#"!KPM:[00000000000000000A--],000,[f707000600e5800c0c020000],"                                ""#).message_type(), "keypad");
        assert_eq!(message("!EXP:07,01,01").message_type(), "expander");
        assert_eq!(message("!REL:12,01,01").message_type(), "relay");
        assert_eq!(message("!RFX:0180036,80").message_type(), "rf");
        assert_eq!(message("!LRR:012,1,ARM_STAY").message_type(), "lrr");
        assert_eq!(message("!LRR:001,1,CID_3401,ff").message_type(), "lrr");
        assert_eq!(message("!AUI:0201ff").message_type(), "aui");
    }

    #[test]
    fn chatter_is_not_an_error() {
        for line in [
            "!Ready",
            "!CONFIG>ADDRESS=18",
            "!VER:ffffffff,V2.2a.8.8,TX;RX;SM;VZ;RF;ZX;RE;AU;3X;CG;DD;MF;LR;KE;MK;CB;DS;ER",
            "!Sending......done",
        ] {
            assert!(parse_line(line).unwrap().is_err(), "{line}");
        }
    }

    #[test]
    fn unknown_and_unrecognized() {
        assert_eq!(
            parse_line("!XYZ:1,2").unwrap_err().reason,
            RejectReason::UnknownMessageType
        );
        assert_eq!(
            parse_line("hello world").unwrap_err().reason,
            RejectReason::UnrecognizedLine
        );
        assert_eq!(
            parse_line(r#"10000001000100003A0-,008,[f702000f1008005c08020000000000],"x""#)
                .unwrap_err()
                .reason,
            RejectReason::MalformedKeypad
        );
    }
}
