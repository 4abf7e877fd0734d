//! Decode throughput on one core: JSON `dict()` records and raw serial lines, each decoded and
//! appended to the Arrow builders of the lake tables (the work the pipeline does per event).
//!
//! Run: `cargo bench -p alarmlake-benches --bench decode`. Figures go to `benches/RESULTS.md`.

use alarmlake_schemas::{Decoder, LakeBatches, RawRecord};
use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// The allocator of the `alarmlake` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod records;

use records::{RECORDS, dict_records, raw_records};

/// Decodes every record into `batches` and finishes them, as the writer does for each flush.
/// The same `LakeBatches` is reused between iterations, as the writer reuses it between batches.
fn decode_into_arrow(decoder: &Decoder, batches: &mut LakeBatches, records: &[RawRecord]) -> usize {
    let mut outcomes = Vec::with_capacity(4);
    for record in records {
        outcomes.clear();
        decoder.decode_into(record, &mut outcomes);
        for outcome in &outcomes {
            batches.append(&record.position, outcome);
        }
    }
    batches
        .finish()
        .map(|b| b.iter().map(|(_, batch)| batch.num_rows()).sum())
        .unwrap_or(0)
}

fn new_batches() -> LakeBatches {
    LakeBatches::new(DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default())
}

fn decode_only(decoder: &Decoder, records: &[RawRecord]) -> usize {
    let mut outcomes = Vec::with_capacity(4);
    let mut n = 0;
    for record in records {
        outcomes.clear();
        decoder.decode_into(record, &mut outcomes);
        n += outcomes.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let decoder = Decoder::default();
    let inputs = [("json_dict", dict_records()), ("raw_line", raw_records())];
    for (_, records) in &inputs {
        let rows = decode_into_arrow(&decoder, &mut new_batches(), records);
        assert_eq!(rows, RECORDS, "every benchmark record decodes to one row");
    }
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (name, records) in &inputs {
        let mut batches = new_batches();
        group.bench_with_input(BenchmarkId::new("to_arrow", name), records, |b, r| {
            b.iter(|| decode_into_arrow(&decoder, &mut batches, black_box(r)))
        });
        group.bench_with_input(BenchmarkId::new("decode_only", name), records, |b, r| {
            b.iter(|| decode_only(&decoder, black_box(r)))
        });
        let decoded: Vec<_> = records
            .iter()
            .map(|r| (r.position.clone(), decoder.decode(r)))
            .collect();
        let mut batches = new_batches();
        group.bench_with_input(BenchmarkId::new("arrow_only", name), &decoded, |b, d| {
            b.iter(|| {
                for (position, outcomes) in d {
                    for outcome in outcomes {
                        batches.append(position, outcome);
                    }
                }
                batches.finish().map(|b| b.len()).unwrap_or(0)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
