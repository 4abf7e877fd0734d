//! The MessagePack envelope codec and the bulk content sniff.
#![no_main]

use alarmlake_schemas::mode::ContentType;
use alarmlake_schemas::msgpack;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ContentType::sniff(data);
    let _ = msgpack::is_single_value(data);
    if let Ok(records) = msgpack::decode_envelope(data) {
        assert_eq!(msgpack::decode_envelope(&msgpack::encode_envelope(&records)), Ok(records));
    }
});
