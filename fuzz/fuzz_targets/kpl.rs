//! See [`alarmlake_fuzz::decoders::kpl`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alarmlake_fuzz::decoders::kpl(data));
