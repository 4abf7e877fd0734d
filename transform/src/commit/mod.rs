//! The lake's commit protocol, in one place: where alarmlake keeps its own state inside a lake
//! (`_alarmlake/`), the intent a flush records before it writes files, reading the intents that
//! are still pending, and compaction's journal and lock.
//!
//! The protocol (see `docs/ARCHITECTURE.md`, "Exactly-once"): a writer records an intent naming
//! the files it is about to write, writes them with one atomic put each, then commits by moving
//! its position and clearing the intent in one conditional write. Recovery deletes the files of
//! an intent that never committed. Compaction follows the same shape with its own journal, and
//! leaves alone every file that a pending intent names, because its writer may still delete and
//! rewrite it.
//!
//! *Why one module:* this is the part a table format with atomic commits (Delta Lake) replaces;
//! kept together, that change lands here and not across the crates that use it.

pub mod compaction_journal;
mod compaction_lock;
mod intent;
mod layout;

pub use compaction_journal::{CompactionIntent, IntentGroup, Recovered};
pub use compaction_lock::{CompactionLock, HeldBy};
pub use intent::{Intent, IntentError, pending_intent_files};
pub use layout::{CHECKPOINTS, PROBES, checkpoints_of};
