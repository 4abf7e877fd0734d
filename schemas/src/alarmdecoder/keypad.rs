//! Keypad messages: the panel's keypad display and status LEDs, as the AlarmDecoder prints them.
//!
//! `[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  "`
//! is a bitfield of status flags, a numeric code (zone number or hex code), the raw panel data,
//! and the 32 characters of the two-line keypad display.

use serde::Serialize;

use super::keypad_text::KeypadMeaning;
use crate::reject::{DecodeError, RejectReason};

/// Panel family, from bitfield character 18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelType {
    Ademco,
    Dsc,
}

impl PanelType {
    pub fn as_str(self) -> &'static str {
        match self {
            PanelType::Ademco => "ademco",
            PanelType::Dsc => "dsc",
        }
    }
}

/// The status flags of a keypad message, named as in the alarmdecoder library's `dict()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct KeypadFlags {
    pub ready: bool,
    pub armed_away: bool,
    pub armed_home: bool,
    pub backlight_on: bool,
    pub programming_mode: bool,
    pub beeps: u8,
    pub zone_bypassed: bool,
    pub ac_power: bool,
    pub chime_on: bool,
    pub alarm_event_occurred: bool,
    pub alarm_sounding: bool,
    pub battery_low: bool,
    pub entry_delay_off: bool,
    pub fire_alarm: bool,
    pub check_zone: bool,
    pub perimeter_only: bool,
}

/// Everything the bitfield says: the flags plus the two values the JSON form leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bitfield {
    pub flags: KeypadFlags,
    /// Hex digit at position 17; `-` means the panel did not say.
    pub system_fault: Option<u8>,
    pub panel_type: PanelType,
}

/// A decoded keypad message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeypadMessage {
    #[serde(flatten)]
    pub flags: KeypadFlags,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_fault: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panel_type: Option<PanelType>,
    pub bitfield: String,
    pub numeric_code: String,
    pub panel_data: String,
    pub mask: u32,
    pub cursor_location: i32,
    pub text: String,
    #[serde(flatten)]
    pub meaning: KeypadMeaning,
}

fn malformed(detail: impl Into<String>) -> DecodeError {
    DecodeError::new(RejectReason::MalformedKeypad, detail)
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Parses a bracketed bitfield such as `[10000001000100003A0-]`.
///
/// Character i (1-based after the bracket) is a flag that is set when it is not `0`; `-` counts
/// as set, as in the reference library. At least 17 characters are required (through the
/// system-fault digit); real panels send 20.
pub fn parse_bitfield(bitfield: &str) -> Result<Bitfield, DecodeError> {
    let b = bitfield.as_bytes();
    let inner = match b {
        [b'[', inner @ .., b']'] => inner,
        _ => {
            return Err(malformed(format!(
                "bitfield {bitfield:?} is not enclosed in brackets"
            )));
        }
    };
    if !(17..=32).contains(&inner.len()) {
        return Err(malformed(format!(
            "bitfield has {} characters, expected 17 to 32",
            inner.len()
        )));
    }
    if let Some(bad) = inner
        .iter()
        .find(|c| !(c.is_ascii_hexdigit() || **c == b'-'))
    {
        return Err(malformed(format!(
            "bitfield character {:?} is not hex or '-'",
            *bad as char
        )));
    }
    let set = |i: usize| inner[i - 1] != b'0';
    let beeps =
        hex_value(inner[5]).ok_or_else(|| malformed("beeps digit is '-', expected a hex digit"))?;
    let flags = KeypadFlags {
        ready: set(1),
        armed_away: set(2),
        armed_home: set(3),
        backlight_on: set(4),
        programming_mode: set(5),
        beeps,
        zone_bypassed: set(7),
        ac_power: set(8),
        chime_on: set(9),
        alarm_event_occurred: set(10),
        alarm_sounding: set(11),
        battery_low: set(12),
        entry_delay_off: set(13),
        fire_alarm: set(14),
        check_zone: set(15),
        perimeter_only: set(16),
    };
    let system_fault = hex_value(inner[16]);
    let panel_type = match inner.get(17) {
        Some(b'D' | b'd') => PanelType::Dsc,
        _ => PanelType::Ademco,
    };
    Ok(Bitfield {
        flags,
        system_fault,
        panel_type,
    })
}

/// The keypad address mask: hex of panel data characters [3, 11), counting the bracket.
pub fn panel_mask(panel_data: &str) -> Result<u32, DecodeError> {
    panel_data
        .get(3..11)
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .ok_or_else(|| {
            malformed(format!(
                "panel data {panel_data:?} is too short for the address mask"
            ))
        })
}

/// The cursor position, when the panel data says the cursor is shown; -1 otherwise.
pub fn cursor_location(panel_data: &str) -> i32 {
    let hex = |r: std::ops::Range<usize>| {
        panel_data
            .get(r)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex(19..21), hex(21..23)) {
        (Some(flags), Some(position)) if flags & 1 == 1 => i32::from(position),
        _ => -1,
    }
}

fn check_panel_data(panel_data: &str) -> Result<(), DecodeError> {
    match panel_data.as_bytes() {
        [b'[', inner @ .., b']']
            if !inner.is_empty() && inner.iter().all(u8::is_ascii_hexdigit) =>
        {
            Ok(())
        }
        _ => Err(malformed(format!(
            "panel data {panel_data:?} is not bracketed hex"
        ))),
    }
}

fn check_numeric_code(code: &str) -> Result<(), DecodeError> {
    if !code.is_empty() && code.len() <= 8 && code.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(malformed(format!("numeric code {code:?} is not hex")))
    }
}

impl KeypadMessage {
    /// Parses a raw keypad line, with or without the `!KPM:` prefix.
    pub fn parse_line(line: &str) -> Result<KeypadMessage, DecodeError> {
        let body = line.strip_prefix("!KPM:").unwrap_or(line);
        // The text is last and may itself contain commas, so split off only three fields.
        let mut parts = body.splitn(4, ',');
        let (Some(bitfield), Some(code), Some(panel_data), Some(quoted)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "expected 4 comma-separated fields: bitfield,code,panel data,\"text\"",
            ));
        };
        let text = match quoted.as_bytes() {
            [b'"', .., b'"'] if quoted.len() >= 3 => &quoted[1..quoted.len() - 1],
            _ => return Err(malformed(format!("keypad text {quoted:?} is not quoted"))),
        };
        let bits = parse_bitfield(bitfield)?;
        check_numeric_code(code)?;
        check_panel_data(panel_data)?;
        let mask = panel_mask(panel_data)?;
        let mut message = KeypadMessage {
            flags: bits.flags,
            system_fault: bits.system_fault,
            panel_type: Some(bits.panel_type),
            bitfield: bitfield.to_string(),
            numeric_code: code.to_string(),
            panel_data: panel_data.to_string(),
            mask,
            cursor_location: cursor_location(panel_data),
            text: text.to_string(),
            meaning: KeypadMeaning::default(),
        };
        message.meaning = KeypadMeaning::interpret(&message.flags, &message.text);
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarmdecoder::keypad_text::ArmState;

    #[test]
    fn disarmed_ready_line() {
        let m = KeypadMessage::parse_line(
            r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"****DISARMED****  Ready to Arm  ""#,
        )
        .unwrap();
        assert!(m.flags.ready && m.flags.ac_power && !m.flags.alarm_event_occurred);
        assert!(!m.flags.armed_away && !m.flags.armed_home);
        assert!(!m.flags.backlight_on && !m.flags.chime_on);
        // Character 12 of this real line is '1': the panel reports a low battery.
        assert!(m.flags.battery_low && !m.flags.entry_delay_off);
        assert_eq!(m.flags.beeps, 0);
        assert_eq!(m.system_fault, Some(3));
        assert_eq!(m.panel_type, Some(PanelType::Ademco));
        assert_eq!(m.numeric_code, "008");
        assert_eq!(m.mask, 0x0200_0f10);
        assert_eq!(m.cursor_location, -1);
        assert_eq!(m.text, "****DISARMED****  Ready to Arm  ");
        assert_eq!(m.meaning.arm_state, Some(ArmState::Disarmed));
    }

    #[test]
    fn armed_stay_line() {
        let m = KeypadMessage::parse_line(
            r#"[00100301000100003A0-],008,[f702000f100803cc08020000000000],"ARMED ***STAY***You may exit now""#,
        )
        .unwrap();
        assert!(m.flags.armed_home && !m.flags.armed_away && !m.flags.ready);
        assert_eq!(m.flags.beeps, 3);
        assert!(m.flags.ac_power);
        assert_eq!(m.meaning.arm_state, Some(ArmState::Stay));
    }

    #[test]
    fn dsc_and_kpm_prefix() {
        let m = KeypadMessage::parse_line(
            r#"[10000001000000000D--],000,[000200000000000000000000],"System Is       Ready To Arm    ""#,
        )
        .unwrap();
        assert_eq!(m.panel_type, Some(PanelType::Dsc));
        assert_eq!(m.system_fault, Some(0));
        let unknown_fault = parse_bitfield("[1000000100000000-D--]").unwrap();
        assert_eq!(unknown_fault.system_fault, None);
        let m = KeypadMessage::parse_line(
            r#"!KPM:[00000000000000000A--],000,[f707000600e5800c0c020000],"                                ""#,
        )
        .unwrap();
        assert_eq!(m.text.len(), 32);
        assert_eq!(m.bitfield, "[00000000000000000A--]");
    }

    #[test]
    fn cursor_shown_when_flag_bit_set() {
        // panel data characters 19..21 = "01" (cursor on), 21..23 = "1a" (position 26).
        assert_eq!(cursor_location("[f702000f1008005c08011a00000000]"), 0x1a);
        assert_eq!(cursor_location("[f702000f1008000000001ff]"), -1);
        assert_eq!(cursor_location("[f7]"), -1);
    }

    #[test]
    fn malformed_lines_are_rejected() {
        for line in [
            r#"10000001000100003A0-,008,[f702000f1008005c08020000000000],"bracketless""#,
            r#"[1000000100010000],008,[f702000f1008005c08020000000000],"short bitfield""#,
            r#"[1000000100010000xA0-],008,[f702000f1008005c08020000000000],"bad char""#,
            r#"[10000-01000100003A0-],008,[f702000f1008005c08020000000000],"dash beeps""#,
            r#"[10000001000100003A0-],0g8,[f702000f1008005c08020000000000],"bad code""#,
            r#"[10000001000100003A0-],008,[f702],"short panel data""#,
            r#"[10000001000100003A0-],008,f702000f1008005c08020000000000,"no brackets""#,
            r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],unquoted"#,
            r#"[10000001000100003A0-],008,[f702000f1008005c08020000000000],"""#,
            r#"[10000001000100003A0-],008"#,
        ] {
            let err = KeypadMessage::parse_line(line).unwrap_err();
            assert_eq!(err.reason, RejectReason::MalformedKeypad, "{line}");
        }
    }
}
