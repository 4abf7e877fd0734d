//! Whole records through KPL de-aggregation, the decoder (every bulk policy) and the Arrow
//! builders: no panic, and every unit is accounted for by exactly one row or chatter.
#![no_main]

use alarmlake_schemas::{BulkPolicy, Decoder, DecoderConfig, LakeBatches, RawRecord, RecordPosition, Tally, kpl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let position = RecordPosition::line("fuzz", "input", 1, chrono_now());
    let record = RawRecord { data: data.to_vec(), position };
    for bulk in [BulkPolicy::Never, BulkPolicy::Unrecognized, BulkPolicy::Always] {
        let decoder = Decoder::new(DecoderConfig { bulk, ..DecoderConfig::default() });
        let mut batches = LakeBatches::new(chrono_now());
        let mut tally = Tally::default();
        for user in kpl::deaggregate_record(record.clone()) {
            let outcomes = decoder.decode(&user);
            assert!(!outcomes.is_empty());
            for outcome in &outcomes {
                tally.add(outcome);
                batches.append(&user.position, outcome);
            }
        }
        let rows: usize = batches.finish().expect("batches build").iter().map(|(_, b)| b.num_rows()).sum();
        assert_eq!(rows as u64, tally.events + tally.rejected);
    }
});

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("valid")
}
