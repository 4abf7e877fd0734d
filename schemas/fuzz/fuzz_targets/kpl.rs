//! KPL de-aggregation; whatever de-aggregates must survive a round trip through aggregation.
#![no_main]

use alarmlake_schemas::kpl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(records) = kpl::deaggregate(data) {
        assert_eq!(kpl::deaggregate(&kpl::aggregate(&records)), Some(records));
    }
});
