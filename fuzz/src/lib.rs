//! The checks behind every fuzz target, callable from libFuzzer (`fuzz_targets/`, through
//! `scripts/fuzz.sh`) and from the corpus replay test (`tests/corpus_replay.rs`) alike.
//!
//! *Why a library:* the targets used to live in a crate of their own outside the workspace,
//! built only by `cargo fuzz` on demand, so they could stop compiling unnoticed and their
//! findings were never re-checked. Here each target is one function that panics when its
//! property fails; CI builds them with the workspace and replays each target's corpus
//! (`corpus/<target>/`, the seeds plus every input a fuzzing run kept) through them.

pub mod decoders;
pub mod get_records;

/// A target's check: panics when the input breaks its property.
pub type Check = fn(&[u8]);

/// Every target, by the name of its binary and corpus folder.
pub const TARGETS: &[(&str, Check)] = &[
    ("decode_record", decoders::decode_record),
    ("alarmdecoder_line", decoders::alarmdecoder_line),
    ("json_shapes", decoders::json_shapes),
    ("kpl", decoders::kpl),
    ("msgpack", decoders::msgpack),
    ("camera", decoders::camera),
    ("timestamp", decoders::timestamp),
    ("get_records", get_records::check),
];
