//! What alarmlake keeps inside a lake besides the tables' logs: where its own state lives
//! (`_alarmlake/`), the intent a consumer's flush records before it writes files, reading the
//! intents that are still pending (vacuum keeps their files), and the lake's compaction lock.
//!
//! The protocol itself (docs/ARCHITECTURE.md, "Exactly-once"): a flush records its intent (the
//! files and the txn version it will commit them with), writes the files, commits them to each
//! table's Delta log with its shard's txn, then moves its checkpoint and clears the intent. What
//! makes rows visible is the Delta commit ([`crate::delta`]); the intent only tells recovery
//! which flush to settle.

mod compaction_lock;
mod intent;
mod layout;

pub use compaction_lock::{CompactionLock, HeldBy};
pub use intent::{Intent, IntentError, pending_intent_files, pending_intents};
pub use layout::{CHECKPOINTS, PROBES, checkpoints_of};
