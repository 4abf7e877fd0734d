//! Contact ID event codes (SIA DC-05): what an LRR report means.
//!
//! A Contact ID report carries a 3-digit hex event code, a qualifier (1 new event or opening,
//! 3 restore or closing, 6 previously reported), and event data that is a user number for
//! open/close and access events and a zone number for everything else.

use serde::Serialize;

/// Whether a report's event data is a user or a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DataType {
    #[serde(rename = "U")]
    User,
    #[serde(rename = "Z")]
    Zone,
}

impl DataType {
    /// The one-letter code of the newer alarmdecoder library (`U` or `Z`).
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::User => "U",
            DataType::Zone => "Z",
        }
    }

    pub fn parse(text: &str) -> Option<DataType> {
        match text {
            "U" | "u" => Some(DataType::User),
            "Z" | "z" => Some(DataType::Zone),
            _ => None,
        }
    }
}

/// Open/close (0x400–0x499: arming, disarming, access, remote sessions) names a user;
/// alarms, troubles, bypasses and tests name a zone.
pub fn data_type(code: u16) -> DataType {
    if (0x400..=0x499).contains(&code) {
        DataType::User
    } else {
        DataType::Zone
    }
}

/// The source of an LRR report, from its prefix; the numbers match the alarmdecoder library's
/// `event_source` values so that JSON from either side compares equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ContactId = 1,
    Dsc = 2,
    Ademco = 3,
    AlarmDecoder = 4,
    Unknown = 5,
}

impl Source {
    pub fn from_prefix(prefix: &str) -> Source {
        match prefix {
            "CID" => Source::ContactId,
            "DSC" => Source::Dsc,
            "ADEMCO" => Source::Ademco,
            "AD2" => Source::AlarmDecoder,
            _ => Source::Unknown,
        }
    }

    pub fn from_number(number: i64) -> Source {
        match number {
            1 => Source::ContactId,
            2 => Source::Dsc,
            3 => Source::Ademco,
            4 => Source::AlarmDecoder,
            _ => Source::Unknown,
        }
    }
}

/// The description of a code from a given source, or `None` when it is not a known code: the
/// reference library's wording where it has one ([`super::library_wording`]), so raw lines and
/// JSON-relayed events agree, else alarmlake's own.
pub fn describe(source: Source, code: u16) -> Option<&'static str> {
    super::library_wording::describe(source, code).or_else(|| own_description(source, code))
}

/// alarmlake's own wording: for the codes and sources the library leaves undescribed.
fn own_description(source: Source, code: u16) -> Option<&'static str> {
    match source {
        Source::Dsc => dsc_description(code).or_else(|| contact_id_description(code)),
        Source::AlarmDecoder => match code {
            0x000 => Some("AlarmDecoder: custom programming message"),
            0x001 => Some("AlarmDecoder: custom programming key"),
            _ => None,
        },
        Source::ContactId | Source::Ademco | Source::Unknown => contact_id_description(code),
    }
}

fn dsc_description(code: u16) -> Option<&'static str> {
    Some(match code {
        0x04c => "DSC: zone expander supervisory alarm",
        0x04d => "DSC: zone expander supervisory restore",
        0x051 => "DSC: auxiliary input alarm",
        0x0bf => "DSC: special closing",
        0x103 => "DSC: cross zone (police code) alarm",
        0x12b => "DSC: automatic closing",
        0x800 => "DSC: user log event",
        _ => return None,
    })
}

/// Descriptions of the standard Contact ID codes.
pub fn contact_id_description(code: u16) -> Option<&'static str> {
    Some(match code {
        0x100 => "Medical",
        0x101 => "Medical: personal emergency",
        0x102 => "Medical: fail to report in",
        0x110 => "Fire",
        0x111 => "Fire: smoke",
        0x112 => "Fire: combustion",
        0x113 => "Fire: water flow",
        0x114 => "Fire: heat",
        0x115 => "Fire: pull station",
        0x116 => "Fire: duct",
        0x117 => "Fire: flame",
        0x118 => "Fire: near alarm",
        0x120 => "Panic",
        0x121 => "Panic: duress",
        0x122 => "Panic: silent",
        0x123 => "Panic: audible",
        0x124 => "Panic: duress, access granted",
        0x125 => "Panic: duress, egress granted",
        0x130 => "Burglary",
        0x131 => "Burglary: perimeter",
        0x132 => "Burglary: interior",
        0x133 => "Burglary: 24 hour",
        0x134 => "Burglary: entry/exit",
        0x135 => "Burglary: day/night",
        0x136 => "Burglary: outdoor",
        0x137 => "Burglary: tamper",
        0x138 => "Burglary: near alarm",
        0x139 => "Burglary: intrusion verifier",
        0x140 => "General alarm",
        0x141 => "Alarm: polling loop open",
        0x142 => "Alarm: polling loop short",
        0x143 => "Alarm: expansion module failure",
        0x144 => "Alarm: sensor tamper",
        0x145 => "Alarm: expansion module tamper",
        0x146 => "Burglary: silent",
        0x147 => "Sensor supervision failure",
        0x150 => "24 hour non-burglary",
        0x151 => "Gas detected",
        0x152 => "Refrigeration",
        0x153 => "Loss of heat",
        0x154 => "Water leakage",
        0x155 => "Foil break",
        0x156 => "Day trouble",
        0x157 => "Low bottled gas level",
        0x158 => "High temperature",
        0x159 => "Low temperature",
        0x161 => "Loss of air flow",
        0x162 => "Carbon monoxide detected",
        0x163 => "Tank level",
        0x200 => "Fire supervisory",
        0x201 => "Low water pressure",
        0x202 => "Low CO2",
        0x203 => "Gate valve sensor",
        0x204 => "Low water level",
        0x205 => "Pump activated",
        0x206 => "Pump failure",
        0x300 => "System trouble",
        0x301 => "AC loss",
        0x302 => "Low system battery",
        0x303 => "RAM checksum bad",
        0x304 => "ROM checksum bad",
        0x305 => "System reset",
        0x306 => "Panel programming changed",
        0x307 => "Self-test failure",
        0x308 => "System shutdown",
        0x309 => "Battery test failure",
        0x310 => "Ground fault",
        0x311 => "Battery missing or dead",
        0x312 => "Power supply overcurrent",
        0x313 => "Engineer reset",
        0x320 => "Sounder/relay trouble",
        0x321 => "Bell 1 trouble",
        0x322 => "Bell 2 trouble",
        0x323 => "Alarm relay trouble",
        0x324 => "Trouble relay trouble",
        0x325 => "Reversing relay trouble",
        0x330 => "System peripheral trouble",
        0x331 => "Polling loop open",
        0x332 => "Polling loop short",
        0x333 => "Expansion module failure",
        0x334 => "Repeater failure",
        0x335 => "Local printer out of paper",
        0x336 => "Local printer failure",
        0x337 => "Expansion module DC loss",
        0x338 => "Expansion module low battery",
        0x339 => "Expansion module reset",
        0x341 => "Expansion module tamper",
        0x342 => "Expansion module AC loss",
        0x343 => "Expansion module self-test failure",
        0x344 => "RF receiver jam detected",
        0x350 => "Communication trouble",
        0x351 => "Telco 1 fault",
        0x352 => "Telco 2 fault",
        0x353 => "Long range radio transmitter fault",
        0x354 => "Failure to communicate event",
        0x355 => "Loss of radio supervision",
        0x356 => "Loss of central polling",
        0x357 => "Long range radio VSWR problem",
        0x370 => "Protection loop trouble",
        0x371 => "Protection loop open",
        0x372 => "Protection loop short",
        0x373 => "Fire trouble",
        0x374 => "Exit error alarm",
        0x375 => "Panic zone trouble",
        0x376 => "Hold-up zone trouble",
        0x377 => "Swinger trouble",
        0x378 => "Cross-zone trouble",
        0x380 => "Sensor trouble",
        0x381 => "Loss of supervision: RF",
        0x382 => "Loss of supervision: RPM",
        0x383 => "Sensor tamper",
        0x384 => "RF low battery",
        0x385 => "Smoke detector high sensitivity",
        0x386 => "Smoke detector low sensitivity",
        0x387 => "Intrusion detector high sensitivity",
        0x388 => "Intrusion detector low sensitivity",
        0x389 => "Sensor self-test failure",
        0x391 => "Sensor watch trouble",
        0x392 => "Drift compensation error",
        0x393 => "Maintenance alert",
        0x400 => "Open/close",
        0x401 => "Open/close by user",
        0x402 => "Group open/close",
        0x403 => "Automatic open/close",
        0x404 => "Late to open/close",
        0x405 => "Deferred open/close",
        0x406 => "Cancel",
        0x407 => "Remote arm/disarm",
        0x408 => "Quick arm",
        0x409 => "Keyswitch open/close",
        0x411 => "Callback request made",
        0x412 => "Successful download/access",
        0x413 => "Unsuccessful access",
        0x414 => "System shutdown command received",
        0x415 => "Dialer shutdown command received",
        0x416 => "Successful upload",
        0x421 => "Access denied",
        0x422 => "Access report by user",
        0x423 => "Forced access",
        0x424 => "Egress denied",
        0x425 => "Egress granted",
        0x426 => "Access door propped open",
        0x441 => "Armed stay",
        0x442 => "Keyswitch armed stay",
        0x450 => "Exception open/close",
        0x451 => "Early open/close",
        0x452 => "Late open/close",
        0x453 => "Failed to open",
        0x454 => "Failed to close",
        0x455 => "Auto-arm failed",
        0x456 => "Partial arm",
        0x457 => "Exit error by user",
        0x458 => "User on premises",
        0x459 => "Recent close",
        0x461 => "Wrong code entry",
        0x462 => "Legal code entry",
        0x463 => "Re-arm after alarm",
        0x464 => "Auto-arm time extended",
        0x465 => "Panic alarm reset",
        0x466 => "Service on/off premises",
        0x520 => "Sounder/relay disable",
        0x521 => "Bell 1 disable",
        0x522 => "Bell 2 disable",
        0x523 => "Alarm relay disable",
        0x524 => "Trouble relay disable",
        0x525 => "Reversing relay disable",
        0x531 => "Module added",
        0x532 => "Module removed",
        0x551 => "Dialer disabled",
        0x552 => "Radio transmitter disabled",
        0x570 => "Zone bypass",
        0x571 => "Fire bypass",
        0x572 => "24 hour zone bypass",
        0x573 => "Burglary bypass",
        0x574 => "Group bypass",
        0x575 => "Swinger bypass",
        0x601 => "Manual trigger test",
        0x602 => "Periodic test",
        0x603 => "Periodic RF transmission",
        0x604 => "Fire test",
        0x605 => "Status report to follow",
        0x606 => "Listen-in to follow",
        0x607 => "Walk test mode",
        0x608 => "Periodic test, system trouble present",
        0x609 => "Video transmitter active",
        0x611 => "Point tested OK",
        0x612 => "Point not tested",
        0x613 => "Intrusion zone walk tested",
        0x614 => "Fire zone walk tested",
        0x615 => "Panic zone walk tested",
        0x616 => "Service request",
        0x621 => "Event log reset",
        0x622 => "Event log 50% full",
        0x623 => "Event log 90% full",
        0x624 => "Event log overflow",
        0x625 => "Time/date reset",
        0x626 => "Time/date inaccurate",
        0x627 => "Program mode entry",
        0x628 => "Program mode exit",
        0x629 => "32 hour event log marker",
        0x630 => "Schedule change",
        0x631 => "Exception schedule change",
        0x632 => "Access schedule change",
        0x654 => "System inactivity",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_named_in_formats_md() {
        // The library's wording (every entry is checked against it in cli/tests/lrr_vocabulary.rs).
        for (code, text) in [
            (0x100, "Medical Emergency: Non-specific"),
            (0x101, "Emergency Assistance Request"),
            (0x110, "Fire: Non-specific"),
            (0x123, "Panic: Audible"),
            (0x130, "Burglary"),
            (0x140, "Alarm: General"),
            (0x162, "Alarm: Carbon Monoxide"),
            (0x301, "Trouble: AC Loss"),
            (0x302, "Trouble: Low Battery"),
            (0x384, "Trouble: RF Low Battery"),
            (0x401, "Open/Close: By User"),
            (0x406, "Open/Close: Cancel"),
            (0x441, "Open/Close: Armed Stay"),
            (0x570, "Bypass: Zone"),
            (0x602, "Test: Periodic"),
        ] {
            assert_eq!(describe(Source::ContactId, code), Some(text), "{code:#x}");
        }
        // Where the library says nothing, alarmlake's own wording: a code its table shadows, a
        // DSC line with a Contact ID code, an Ademco prefix.
        assert_eq!(
            describe(Source::ContactId, 0x404),
            Some("Late to open/close")
        );
        assert_eq!(describe(Source::Dsc, 0x301), Some("AC loss"));
        assert_eq!(describe(Source::Ademco, 0x130), Some("Burglary"));
        assert_eq!(describe(Source::ContactId, 0xfff), None);
        assert_eq!(
            describe(Source::Dsc, 0x04c),
            Some("Zone Expander Supervisory Alarm")
        );
    }

    #[test]
    fn user_or_zone() {
        assert_eq!(data_type(0x401), DataType::User);
        assert_eq!(data_type(0x441), DataType::User);
        assert_eq!(data_type(0x130), DataType::Zone);
        assert_eq!(data_type(0x570), DataType::Zone);
        assert_eq!(data_type(0x301), DataType::Zone);
    }
}
