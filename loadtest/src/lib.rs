//! Load testing for alarmlake: simulated homes, a Kinesis load generator, and the benchmark
//! harness that runs both against a consumer and reports what it measured.
//!
//! - [`generator`]: realistic lines from simulated homes (panels, MODE devices, cameras), the
//!   same for the same seed. `alarmlake generate`, `demo`, the tests and the criterion benches
//!   use it.
//! - [`loadgen`]: the generator's events into a Kinesis stream at a target rate
//!   (`alarmlake loadgen`), with a manifest of what each shard received.
//! - [`bench`]: the whole benchmark in one run (`alarmlake bench`): load, consumer, exactly-once
//!   check against the manifest, latency, backlog CPU, queries, and a report with charts.
//!
//! *Why a library:* these are programs a user runs, so they have tests of their own and can be
//! reused from other harnesses; the binary only turns flags into their options. Errors are
//! `anyhow` here, as in the binary: every one ends a benchmark run with its message, and none
//! is matched on by a caller.

pub mod bench;
pub mod generator;
pub mod loadgen;
pub mod progress;
