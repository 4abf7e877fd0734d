//! A stream held in memory, for the reader's and the coordinator's unit tests: shards with
//! parents, records appended at will, a split at any moment, and faults scripted per shard
//! (throttled, transient or expired-iterator answers), with a log of every call made.
//!
//! It keeps the rules of Kinesis that a reader depends on: sequence numbers grow within the
//! stream, an iterator names a position (so a reader that resumes from the wrong place reads
//! records twice or skips them), a closed shard's last page has no next iterator, and a page
//! says how far behind the tip it is.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use alarmlake_schemas::{RawRecord, RecordPosition};
use chrono::{DateTime, Duration as ChronoDuration, Utc};

use super::RecordSource;
use crate::kinesis::{ErrorKind, KinesisError, RecordsPage, ShardInfo, StartAt};

/// One call the stream answered (or refused), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Iterator { shard: String, start: StartAt },
    GetRecords { shard: String, returned: usize },
    Failed { shard: String, kind: ErrorKind },
}

#[derive(Default)]
struct Shard {
    parents: Vec<String>,
    records: Vec<RawRecord>,
    closed: bool,
    /// How the next GetRecords calls answer: `None` normally, `Some(kind)` with that error.
    script: VecDeque<Option<ErrorKind>>,
    /// GetRecords calls still to panic (a reader's bug, as a test sees it), before the script.
    panics: usize,
}

#[derive(Default)]
struct State {
    shards: BTreeMap<String, Shard>,
    next_sequence: u64,
    calls: Vec<Call>,
}

/// An in-memory stream; clones share it.
#[derive(Clone)]
pub(crate) struct MemoryStream {
    name: Arc<str>,
    state: Arc<Mutex<State>>,
}

/// When the stream's first record arrived; each later one arrives a second after the last.
pub(crate) fn first_arrival() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T07:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

impl MemoryStream {
    /// A stream named `name` with open shards `shards`, none with parents.
    pub(crate) fn new(name: &str, shards: &[&str]) -> MemoryStream {
        let stream = MemoryStream {
            name: Arc::from(name),
            state: Arc::default(),
        };
        for shard in shards {
            stream
                .lock()
                .shards
                .insert(shard.to_string(), Shard::default());
        }
        stream
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one record with `data` to `shard`; returns its sequence number.
    pub(crate) fn put(&self, shard: &str, data: &[u8]) -> String {
        let mut state = self.lock();
        let number = state.next_sequence;
        state.next_sequence += 1;
        let sequence_number = format!("{:056}", number);
        let record = RawRecord {
            data: data.to_vec(),
            position: RecordPosition {
                stream: Arc::clone(&self.name),
                shard_id: shard.into(),
                sequence_number: sequence_number.clone(),
                sub_sequence_number: 0,
                partition_key: Some(format!("home-{number}")),
                arrival_time: first_arrival() + ChronoDuration::seconds(number as i64),
            },
        };
        let target = state
            .shards
            .get_mut(shard)
            .expect("put into a shard the stream has");
        assert!(!target.closed, "put into closed shard {shard}");
        target.records.push(record);
        sequence_number
    }

    /// Closes `parent` and opens `children` with it as their parent, as UpdateShardCount or
    /// SplitShard does: the parent's records stay readable, new records go to the children.
    pub(crate) fn split(&self, parent: &str, children: &[&str]) {
        let mut state = self.lock();
        if let Some(shard) = state.shards.get_mut(parent) {
            shard.closed = true;
        }
        for child in children {
            state.shards.insert(
                child.to_string(),
                Shard {
                    parents: vec![parent.to_string()],
                    ..Shard::default()
                },
            );
        }
    }

    /// Scripts how the next GetRecords calls on `shard` answer, one entry per call: `None`
    /// answers normally, `Some(kind)` fails with that kind of error. Later calls answer
    /// normally.
    pub(crate) fn script_reads(&self, shard: &str, answers: &[Option<ErrorKind>]) {
        let mut state = self.lock();
        if let Some(shard) = state.shards.get_mut(shard) {
            shard.script.extend(answers.iter().copied());
        }
    }

    /// Makes the next `count` GetRecords calls on `shard` panic.
    pub(crate) fn script_panics(&self, shard: &str, count: usize) {
        if let Some(shard) = self.lock().shards.get_mut(shard) {
            shard.panics += count;
        }
    }

    /// Every call so far, in order.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Every record of the stream, in sequence order.
    pub(crate) fn all_records(&self) -> Vec<RawRecord> {
        let state = self.lock();
        let mut records: Vec<RawRecord> = state
            .shards
            .values()
            .flat_map(|s| s.records.iter().cloned())
            .collect();
        records.sort_by(|a, b| a.position.sequence_number.cmp(&b.position.sequence_number));
        records
    }
}

fn not_found(operation: &'static str, what: &str) -> KinesisError {
    KinesisError {
        kind: ErrorKind::NotFound,
        operation,
        message: format!("ResourceNotFoundException: {what} not found"),
    }
}

/// An iterator is `shard/index`: the index of the next record to return.
fn parse_iterator(iterator: &str) -> Option<(&str, usize)> {
    let (shard, index) = iterator.rsplit_once('/')?;
    Some((shard, index.parse().ok()?))
}

impl RecordSource for MemoryStream {
    fn stream(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> Result<(), KinesisError> {
        Ok(())
    }

    async fn list_shards(&self) -> Result<Vec<ShardInfo>, KinesisError> {
        Ok(self
            .lock()
            .shards
            .iter()
            .map(|(id, shard)| ShardInfo {
                id: id.clone(),
                parents: shard.parents.clone(),
            })
            .collect())
    }

    async fn iterator(&self, shard_id: &str, start: &StartAt) -> Result<String, KinesisError> {
        let mut state = self.lock();
        state.calls.push(Call::Iterator {
            shard: shard_id.into(),
            start: start.clone(),
        });
        let shard = state
            .shards
            .get(shard_id)
            .ok_or_else(|| not_found("GetShardIterator", shard_id))?;
        let index = match start {
            StartAt::TrimHorizon => 0,
            StartAt::Latest => shard.records.len(),
            StartAt::AtTimestamp(at) => shard
                .records
                .iter()
                .position(|r| r.position.arrival_time >= *at)
                .unwrap_or(shard.records.len()),
            StartAt::After(sequence) | StartAt::At(sequence) => {
                let at = shard
                    .records
                    .iter()
                    .position(|r| &r.position.sequence_number == sequence)
                    .ok_or_else(|| KinesisError {
                        kind: ErrorKind::Other,
                        operation: "GetShardIterator",
                        message: format!(
                            "InvalidArgumentException: {sequence} is not in {shard_id}"
                        ),
                    })?;
                at + usize::from(matches!(start, StartAt::After(_)))
            }
        };
        Ok(format!("{shard_id}/{index}"))
    }

    async fn get_records(
        &self,
        shard_id: &str,
        iterator: &str,
        limit: i32,
    ) -> Result<RecordsPage, KinesisError> {
        let mut state = self.lock();
        let Some((named, index)) = parse_iterator(iterator).filter(|(s, _)| *s == shard_id) else {
            return Err(KinesisError {
                kind: ErrorKind::Other,
                operation: "GetRecords",
                message: format!("InvalidArgumentException: bad iterator {iterator}"),
            });
        };
        let shard = state
            .shards
            .get_mut(named)
            .ok_or_else(|| not_found("GetRecords", shard_id))?;
        if shard.panics > 0 {
            shard.panics -= 1;
            drop(state);
            panic!("scripted panic in GetRecords on {shard_id}");
        }
        if let Some(Some(kind)) = shard.script.pop_front() {
            state.calls.push(Call::Failed {
                shard: shard_id.into(),
                kind,
            });
            return Err(KinesisError {
                kind,
                operation: "GetRecords",
                message: format!("scripted {kind:?}"),
            });
        }
        let end = (index + limit.max(1) as usize).min(shard.records.len());
        let records = shard.records[index.min(end)..end].to_vec();
        let at_tip = end == shard.records.len();
        let next_iterator = if at_tip && shard.closed {
            None
        } else {
            Some(format!("{shard_id}/{end}"))
        };
        let page = RecordsPage {
            records,
            next_iterator,
            millis_behind_latest: Some(if at_tip { 0 } else { 1_000 }),
        };
        state.calls.push(Call::GetRecords {
            shard: shard_id.into(),
            returned: page.records.len(),
        });
        Ok(page)
    }
}
