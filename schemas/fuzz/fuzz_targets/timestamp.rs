//! Timestamp parsing, and the conversion of what parses through a time zone with DST.
#![no_main]

use alarmlake_schemas::TimeZones;
use alarmlake_schemas::timestamp::{ParsedTime, parse_iso};
use alarmlake_schemas::timezone::parse_tz;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(ParsedTime::Naive(local)) = parse_iso(text) {
        let zones = TimeZones::new(parse_tz("America/New_York").expect("known zone"));
        let _ = zones.to_utc("site", local);
    }
});
