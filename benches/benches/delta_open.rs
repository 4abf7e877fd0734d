//! Opening a lake table's Delta snapshot after a long history: 100,000 commits (one file and
//! one shard txn each, as a consumer's flushes make them), with the log's Parquet checkpoint
//! every 100 commits as alarmlake's tables configure it, and a tail of commits after the last
//! checkpoint. What every writer and reader pays at start.
//!
//! The history is written as commit files directly (making it through the commit path would
//! take hours), and checkpointed by the Delta crate itself: every [`SETUP_CHECKPOINT`] commits
//! on the way, the table opened again from each (replaying 100,000 commits without
//! checkpoints took over 16 GB; a checkpoint every 100 commits, as the writers make them, took
//! the set-up past 45 minutes, each checkpoint rewriting every file so far), and at the
//! version [`TAIL`] commits before the end. An open reads only the last checkpoint and the commits after it, so what it costs is
//! what it costs on a table the writers checkpointed every 100 commits. Run:
//! `cargo bench -p alarmlake-benches --bench delta_open` (`ALARMLAKE_BENCH_COMMITS` changes the
//! count). Figures go to `benches/RESULTS.md`.

use std::io::Write;
use std::path::Path;

use alarmlake_schemas::Table;
use alarmlake_transform::Lake;
use alarmlake_transform::delta::TableLog;
use criterion::{Criterion, criterion_group, criterion_main};
use deltalake_core::protocol::checkpoints::create_checkpoint;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Commits after the last checkpoint: the most a writer's table has (it checkpoints every 100).
const TAIL: u64 = 99;

/// How often the set-up checkpoints on the way to the last checkpoint.
const SETUP_CHECKPOINT: u64 = 2_000;

/// Commit `version`: its commit info, one shard's txn, and one file of that shard.
fn commit(version: u64) -> String {
    let shard = version % 64;
    let hour = (version / 64) % 24;
    let day = 1 + (version / (64 * 24)) % 28;
    let ts = 1_700_000_000_000 + version * 1000;
    format!(
        "{{\"commitInfo\":{{\"timestamp\":{ts},\"operation\":\"WRITE\",\"operationParameters\":{{\"mode\":\"Append\"}},\"readVersion\":{}}}}}\n\
         {{\"txn\":{{\"appId\":\"alarmlake/app/stream/shardId-{shard:012}\",\"version\":{},\"lastUpdated\":{ts}}}}}\n\
         {{\"add\":{{\"path\":\"date=2024-01-{day:02}/hour={hour:02}/shardId-{shard:012}-{version}-0-0-v1.parquet\",\"partitionValues\":{{\"date\":\"2024-01-{day:02}\",\"hour\":\"{hour}\"}},\"size\":52000,\"modificationTime\":{ts},\"dataChange\":true,\"stats\":\"{{\\\"numRecords\\\":300,\\\"nullCount\\\":{{\\\"site\\\":0}}}}\"}}}}\n",
        version - 1,
        version / 64 + 1,
    )
}

fn write_history(root: &Path, runtime: &tokio::runtime::Runtime, commits: u64) {
    let lake = Lake::open(root.to_str().expect("utf-8 path"), None).expect("a local lake");
    runtime
        .block_on(TableLog::open_or_create(&lake, Table::AlarmEvents))
        .expect("the table is created");
    let log = root.join("alarm_events/_delta_log");
    let mut table = runtime
        .block_on(TableLog::open(&lake, Table::AlarmEvents))
        .expect("the table reads")
        .expect("a table");
    for version in 1..=commits {
        let mut file =
            std::fs::File::create(log.join(format!("{version:020}.json"))).expect("a commit file");
        file.write_all(commit(version).as_bytes())
            .expect("the commit is written");
        let last = commits.saturating_sub(TAIL);
        if version == last || (version % SETUP_CHECKPOINT == 0 && version < last) {
            runtime
                .block_on(table.refresh())
                .expect("the history reads");
            runtime
                .block_on(create_checkpoint(table.delta(), None))
                .expect("a checkpoint");
            // Opened again from the new checkpoint: a table refreshed in place keeps every
            // commit it read since it was opened (17 GB by the 70,000th).
            table = runtime
                .block_on(TableLog::open(&lake, Table::AlarmEvents))
                .expect("the table reads")
                .expect("a table");
        }
    }
}

fn open_after_history(c: &mut Criterion) {
    let commits: u64 = std::env::var("ALARMLAKE_BENCH_COMMITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_history(dir.path(), &runtime, commits);
    let lake = Lake::open(dir.path().to_str().expect("utf-8 path"), None).expect("a local lake");
    let mut group = c.benchmark_group("delta_open");
    group.sample_size(10);
    group.bench_function(format!("alarm_events/{commits}_commits"), |b| {
        b.iter_with_large_drop(|| {
            let table = runtime
                .block_on(TableLog::open(&lake, Table::AlarmEvents))
                .expect("the table opens")
                .expect("a table");
            assert_eq!(table.version(), Some(commits));
            table
        })
    });
    // Outside the timing: listing the snapshot's files is a reader's work, not the open's.
    let table = runtime
        .block_on(TableLog::open(&lake, Table::AlarmEvents))
        .expect("the table opens")
        .expect("a table");
    assert_eq!(table.files().expect("a snapshot").len() as u64, commits);
    group.finish();
}

criterion_group!(benches, open_after_history);
criterion_main!(benches);
