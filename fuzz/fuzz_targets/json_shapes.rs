//! See [`alarmlake_fuzz::decoders::json_shapes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alarmlake_fuzz::decoders::json_shapes(data));
