//! Raw AlarmDecoder serial lines.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    let _ = alarmlake_schemas::alarmdecoder::parse_line(line);
    let _ = alarmlake_schemas::alarmdecoder::keypad::KeypadMessage::parse_line(line);
});
