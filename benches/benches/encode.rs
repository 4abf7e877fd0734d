//! Parquet encoding of one lake file, at the two sizes the lake sees: a consumer's flush file
//! (a few hundred rows of one shard and hour) and an ingest or compaction file (tens of thousands
//! of rows). A flush file's cost is mostly per file and per column, not per row, which is what
//! the consumer's CPU per record (benchmark P3) pays for every file it writes.
//!
//! Run: `cargo bench -p alarmlake-benches --bench encode`. Figures go to `benches/RESULTS.md`.

use alarmlake_schemas::{Decoder, LakeBatches, Table};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// The allocator of the `alarmlake` binary, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
mod records;

/// The `alarm_events` batch that `n` records of the benchmark mix decode to.
fn alarm_events(n: usize) -> RecordBatch {
    let decoder = Decoder::default();
    let mut batches =
        LakeBatches::new(DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default());
    let mut outcomes = Vec::new();
    for record in records::dict_records_n(n) {
        outcomes.clear();
        decoder.decode_into(&record, &mut outcomes);
        for outcome in &outcomes {
            batches.append(&record.position, outcome);
        }
    }
    batches
        .finish()
        .expect("the benchmark records build")
        .into_iter()
        .find_map(|(table, batch)| (table == Table::AlarmEvents).then_some(batch))
        .expect("the benchmark mix has alarm events")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    // 300 rows: one shard's share of one hour in a consumer flush (P3 writes about 320 per file).
    for rows in [300, 20_000] {
        let batch = alarm_events(rows);
        assert_eq!(
            batch.num_rows(),
            rows,
            "every benchmark record is one alarm event"
        );
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(
            BenchmarkId::new("alarm_events", rows),
            &batch,
            |b, batch| {
                b.iter(|| {
                    alarmlake_transform::encode(Table::AlarmEvents, black_box(batch))
                        .map(|encoded| encoded.bytes.len())
                        .unwrap_or(0)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
