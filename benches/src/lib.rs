//! Load generator, benchmark harness and micro benchmarks. Today: the event generator used by
//! `alarmlake generate`, the tests and the benchmarks; the decode benchmark is in
//! `benches/decode.rs`.

pub mod generator;
