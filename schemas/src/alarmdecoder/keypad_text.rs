//! What a keypad display means: the arm state, and the zone named by texts such as
//! `FAULT 05 FRONT DOOR`.
//!
//! The bitfield says armed or not; the text says how (STAY, NIGHT-STAY, INSTANT, MAXIMUM) and
//! which zone is faulted, bypassed or in alarm. Reports want both as columns, so they are
//! decoded once here rather than with string functions in every query.

use serde::Serialize;

use super::keypad::KeypadFlags;

/// How the partition is armed, as a monitoring report would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArmState {
    Disarmed,
    /// Armed away: all zones, with entry delay.
    Away,
    /// Armed home/stay: perimeter only, with entry delay.
    Stay,
    /// Stay plus selected interior zones.
    Night,
    /// Stay without entry delay.
    Instant,
    /// Away without entry delay.
    Max,
}

impl ArmState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArmState::Disarmed => "disarmed",
            ArmState::Away => "away",
            ArmState::Stay => "stay",
            ArmState::Night => "night",
            ArmState::Instant => "instant",
            ArmState::Max => "max",
        }
    }
}

/// What the keypad says about a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneEvent {
    Fault,
    Bypass,
    Alarm,
    Check,
    Fire,
    Trouble,
    LowBattery,
}

impl ZoneEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneEvent::Fault => "fault",
            ZoneEvent::Bypass => "bypass",
            ZoneEvent::Alarm => "alarm",
            ZoneEvent::Check => "check",
            ZoneEvent::Fire => "fire",
            ZoneEvent::Trouble => "trouble",
            ZoneEvent::LowBattery => "low_battery",
        }
    }
}

/// The meaning decoded from a keypad message's flags and text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KeypadMeaning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_state: Option<ArmState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_event: Option<ZoneEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

/// Keypad words that start a zone report, longest first so that `BYPASS` wins over `BYPAS`.
const ZONE_WORDS: &[(&str, ZoneEvent)] = &[
    ("BYPASS", ZoneEvent::Bypass),
    ("BYPAS", ZoneEvent::Bypass),
    ("FAULT", ZoneEvent::Fault),
    ("ALARM", ZoneEvent::Alarm),
    ("CHECK", ZoneEvent::Check),
    ("FIRE", ZoneEvent::Fire),
    ("TRBL", ZoneEvent::Trouble),
    ("LOBAT", ZoneEvent::LowBattery),
    ("LO BAT", ZoneEvent::LowBattery),
];

impl KeypadMeaning {
    /// Decodes the arm state from the flags and text, and a zone report from the text.
    pub fn interpret(flags: &KeypadFlags, text: &str) -> KeypadMeaning {
        let arm_state = if flags.armed_away {
            if contains_word(text, "MAX") {
                ArmState::Max
            } else {
                ArmState::Away
            }
        } else if flags.armed_home {
            if contains_word(text, "NIGHT") {
                ArmState::Night
            } else if contains_word(text, "INSTANT") {
                ArmState::Instant
            } else {
                ArmState::Stay
            }
        } else {
            ArmState::Disarmed
        };
        let mut meaning = KeypadMeaning {
            arm_state: Some(arm_state),
            ..Default::default()
        };
        if let Some((event, zone, name)) = zone_report(text) {
            meaning.zone_event = Some(event);
            meaning.zone = Some(zone);
            meaning.zone_name = name;
        }
        meaning
    }
}

/// Case-insensitive substring test, without allocating: it runs for every keypad message.
fn contains_word(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Finds `<WORD> <zone number> [zone name]` at the start of the display.
///
/// The display is two 16-character lines, so a name can be split across them; runs of spaces
/// are collapsed to one. Zone 0 and numbers over 999 are not zones.
fn zone_report(text: &str) -> Option<(ZoneEvent, u16, Option<String>)> {
    let text = text.trim_start();
    let starts_with = |word: &str| {
        text.get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word))
    };
    let (word_len, event) = ZONE_WORDS
        .iter()
        .find_map(|(word, event)| starts_with(word).then_some((word.len(), *event)))?;
    let after_word = &text[word_len..];
    let rest = after_word.trim_start();
    if rest.len() == after_word.len() {
        return None; // the word must be followed by a space: "FAULTY" is not "FAULT"
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let zone: u16 = rest[..digits].parse().ok()?;
    if zone == 0 {
        return None;
    }
    let after_number = &rest[digits..];
    if !after_number.is_empty() && !after_number.starts_with(' ') {
        return None;
    }
    let name = after_number
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some((event, zone, (!name.is_empty()).then_some(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(away: bool, home: bool) -> KeypadFlags {
        KeypadFlags {
            armed_away: away,
            armed_home: home,
            ..Default::default()
        }
    }

    #[test]
    fn arm_state_from_flags_and_text() {
        let cases = [
            (
                flags(false, false),
                "****DISARMED****  Ready to Arm  ",
                ArmState::Disarmed,
            ),
            (
                flags(true, false),
                "ARMED ***AWAY***You may exit now",
                ArmState::Away,
            ),
            (
                flags(true, false),
                "ARMED ***MAXIMUM***             ",
                ArmState::Max,
            ),
            (
                flags(false, true),
                "ARMED ***STAY***You may exit now",
                ArmState::Stay,
            ),
            (
                flags(false, true),
                "ARMED *NIGHT-STAY*              ",
                ArmState::Night,
            ),
            (
                flags(false, true),
                "ARMED ***INSTANT***             ",
                ArmState::Instant,
            ),
        ];
        for (f, text, expected) in cases {
            assert_eq!(
                KeypadMeaning::interpret(&f, text).arm_state,
                Some(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn zone_reports() {
        let m = KeypadMeaning::interpret(&flags(false, false), "FAULT 05 FRONT  DOOR            ");
        assert_eq!(
            (m.zone_event, m.zone, m.zone_name.as_deref()),
            (Some(ZoneEvent::Fault), Some(5), Some("FRONT DOOR"))
        );
        let m = KeypadMeaning::interpret(&flags(false, false), "FAULT 1                         ");
        assert_eq!(
            (m.zone_event, m.zone, m.zone_name),
            (Some(ZoneEvent::Fault), Some(1), None)
        );
        let m = KeypadMeaning::interpret(&flags(false, true), "BYPAS 12 Garage Side Door       ");
        assert_eq!(
            (m.zone_event, m.zone, m.zone_name.as_deref()),
            (Some(ZoneEvent::Bypass), Some(12), Some("Garage Side Door"))
        );
        let m = KeypadMeaning::interpret(&flags(true, false), "ALARM 003 LIVING ROOM MOTION    ");
        assert_eq!((m.zone_event, m.zone), (Some(ZoneEvent::Alarm), Some(3)));
        let m = KeypadMeaning::interpret(&flags(false, false), "FIRE 09 SMOKE DETECTOR          ");
        assert_eq!(m.zone_event, Some(ZoneEvent::Fire));
    }

    #[test]
    fn non_zone_texts_have_no_zone() {
        for text in [
            "****DISARMED****  Ready to Arm  ",
            "FAULTY WIRING                   ",
            "FAULT                           ",
            "FAULT 00 NOTHING                ",
            "FAULT 1234 TOO LONG             ",
            "FAULT 12AB                      ",
            "                                ",
            "",
        ] {
            let m = KeypadMeaning::interpret(&flags(false, false), text);
            assert_eq!(m.zone, None, "{text:?}");
        }
    }
}
