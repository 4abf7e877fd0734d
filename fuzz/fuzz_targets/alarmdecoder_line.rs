//! See [`alarmlake_fuzz::decoders::alarmdecoder_line`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alarmlake_fuzz::decoders::alarmdecoder_line(data));
