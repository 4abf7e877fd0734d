//! JSON objects of every shape: AlarmDecoder dicts and MODE events.
#![no_main]

use alarmlake_schemas::alarmdecoder::dict;
use alarmlake_schemas::json_probe::{Shape, probe};
use alarmlake_schemas::mode::ModeEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(p) = probe(text) {
        match p.shape() {
            Shape::Mode => drop(ModeEvent::from_probe(&p)),
            shape => drop(dict::decode(&p, shape)),
        }
    }
});
