//! S3 event notification `Records` arrays and object keys.
#![no_main]

use alarmlake_schemas::camera;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = camera::url_decode(text);
    let _ = camera::decode_records(text, &|local| local.and_utc());
});
