//! A sort for the lake's most common shape: by site, then by time, over rows that arrive as long
//! runs already in that order (every lake file is written sorted by (site, event_time)).
//!
//! Why: DataFusion's `SortExec` sorts each batch and then merges them all, comparing encoded
//! rows; on the demo lake's arm-transitions query that took 0.61 s of compute for 9.3 M rows,
//! the largest part of benchmark P2's one slow query. Grouping by site and merging time-ordered
//! runs a stretch at a time does the same work in a few linear passes (see `order`); what is
//! left of its 0.40 s is mostly gathering the rows into new arrays.
//!
//! It applies only to a full ascending sort by a text column and then a 64-bit column; any other
//! sort, input with null keys, and sessions with a memory limit keep DataFusion's own sort.

mod exec;
mod order;
mod rule;

pub use exec::RunSortExec;
pub use rule::UseRunSort;
