//! See [`alarmlake_fuzz::get_records::check`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| alarmlake_fuzz::get_records::check(data));
