//! See [`alarmlake_fuzz::decoders::decode_record`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alarmlake_fuzz::decoders::decode_record(data));
