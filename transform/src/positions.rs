//! The stream positions a file covers, kept in its metadata so that any file can be traced to
//! the exact range of the stream it came from.

use std::cmp::Ordering;

use alarmlake_schemas::sequence::SequenceKey;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{UInt32Type, UInt64Type};
use serde_json::{Value, json};

/// One row's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub stream: String,
    pub shard_id: String,
    pub sequence_number: String,
    pub sub_sequence_number: u64,
    pub event_index: u32,
}

impl Position {
    /// Orders positions of one source: sequence numbers as big integers, then the indexes.
    pub fn cmp_in_source(&self, other: &Position) -> Ordering {
        self.as_row().cmp_in_source(&other.as_row())
    }

    fn as_row(&self) -> RowPosition<'_> {
        RowPosition {
            stream: &self.stream,
            shard_id: &self.shard_id,
            sequence_number: &self.sequence_number,
            key: SequenceKey::of(&self.sequence_number),
            sub_sequence_number: self.sub_sequence_number,
            event_index: self.event_index,
        }
    }

    fn to_json(&self) -> Value {
        json!({"sequence_number": self.sequence_number, "sub_sequence_number": self.sub_sequence_number, "event_index": self.event_index})
    }

    fn from_json(stream: &str, shard_id: &str, value: &Value) -> Option<Position> {
        Some(Position {
            stream: stream.to_string(),
            shard_id: shard_id.to_string(),
            sequence_number: value.get("sequence_number")?.as_str()?.to_string(),
            sub_sequence_number: value.get("sub_sequence_number")?.as_u64()?,
            event_index: u32::try_from(value.get("event_index")?.as_u64()?).ok()?,
        })
    }
}

/// One row's position, borrowed from the batch's columns (or from a [`Position`]).
#[derive(Clone, Copy)]
struct RowPosition<'a> {
    stream: &'a str,
    shard_id: &'a str,
    sequence_number: &'a str,
    key: SequenceKey<'a>,
    sub_sequence_number: u64,
    event_index: u32,
}

impl RowPosition<'_> {
    fn same_source(&self, other: &RowPosition<'_>) -> bool {
        self.stream == other.stream && self.shard_id == other.shard_id
    }

    /// Sequence numbers as big integers, then the indexes.
    fn cmp_in_source(&self, other: &RowPosition<'_>) -> Ordering {
        self.key
            .cmp(&other.key)
            .then(self.sub_sequence_number.cmp(&other.sub_sequence_number))
            .then(self.event_index.cmp(&other.event_index))
    }

    fn to_position(self) -> Position {
        Position {
            stream: self.stream.to_string(),
            shard_id: self.shard_id.to_string(),
            sequence_number: self.sequence_number.to_string(),
            sub_sequence_number: self.sub_sequence_number,
            event_index: self.event_index,
        }
    }
}

impl SourceRange {
    /// Whether two ranges of the same source share any position: only then can two files
    /// hold the same row.
    pub fn overlaps(&self, other: &SourceRange) -> bool {
        self.first.stream == other.first.stream
            && self.first.shard_id == other.first.shard_id
            && self.first.cmp_in_source(&other.last) != Ordering::Greater
            && other.first.cmp_in_source(&self.last) != Ordering::Greater
    }
}

/// The first and last position of one source (stream and shard) in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRange {
    pub first: Position,
    pub last: Position,
    pub rows: u64,
}

/// The ranges of every source in a file, in the order the sources first appear.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PositionRange {
    pub sources: Vec<SourceRange>,
}

impl PositionRange {
    /// Reads the position columns of a batch.
    ///
    /// Rows are compared in place, and only each source's first and last row is copied out:
    /// this runs over every row of every file the lake writes.
    pub fn of_batch(batch: &RecordBatch) -> PositionRange {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>().cloned())
        };
        let (Some(stream), Some(shard), Some(seq)) =
            (text("stream"), text("shard_id"), text("sequence_number"))
        else {
            return PositionRange::default();
        };
        let sub = batch
            .column_by_name("sub_sequence_number")
            .and_then(|c| c.as_primitive_opt::<UInt64Type>().cloned());
        let idx = batch
            .column_by_name("event_index")
            .and_then(|c| c.as_primitive_opt::<UInt32Type>().cloned());
        let at = |row: usize| {
            let sequence_number = seq.value(row);
            RowPosition {
                stream: stream.value(row),
                shard_id: shard.value(row),
                sequence_number,
                key: SequenceKey::of(sequence_number),
                sub_sequence_number: sub
                    .as_ref()
                    .map_or(0, |a| if a.is_null(row) { 0 } else { a.value(row) }),
                event_index: idx
                    .as_ref()
                    .map_or(0, |a| if a.is_null(row) { 0 } else { a.value(row) }),
            }
        };
        // (first, last, rows) of each source, in the order the sources appear.
        let mut found: Vec<(RowPosition, RowPosition, u64)> = Vec::new();
        for row in 0..batch.num_rows() {
            let here = at(row);
            match found
                .iter_mut()
                .find(|(first, _, _)| first.same_source(&here))
            {
                Some((first, last, rows)) => {
                    if here.cmp_in_source(first) == Ordering::Less {
                        *first = here;
                    } else if here.cmp_in_source(last) == Ordering::Greater {
                        *last = here;
                    }
                    *rows += 1;
                }
                None => found.push((here, here, 1)),
            }
        }
        PositionRange {
            sources: found
                .into_iter()
                .map(|(first, last, rows)| SourceRange {
                    first: first.to_position(),
                    last: last.to_position(),
                    rows,
                })
                .collect(),
        }
    }

    /// The first position of the first source: what names the file.
    pub fn first(&self) -> Option<&Position> {
        self.sources.first().map(|s| &s.first)
    }

    /// Whether any source range of `self` overlaps one of `other`.
    pub fn overlaps(&self, other: &PositionRange) -> bool {
        self.sources
            .iter()
            .any(|a| other.sources.iter().any(|b| a.overlaps(b)))
    }

    /// Reads the JSON of [`PositionRange::to_json`] back; `None` if it is not that.
    pub fn from_json(text: &str) -> Option<PositionRange> {
        let Value::Array(items) = serde_json::from_str::<Value>(text).ok()? else {
            return None;
        };
        let sources = items
            .iter()
            .map(|item| {
                let stream = item.get("stream")?.as_str()?;
                let shard = item.get("shard_id")?.as_str()?;
                Some(SourceRange {
                    first: Position::from_json(stream, shard, item.get("first")?)?,
                    last: Position::from_json(stream, shard, item.get("last")?)?,
                    rows: item.get("rows")?.as_u64()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(PositionRange { sources })
    }

    /// The JSON written into the file's metadata.
    pub fn to_json(&self) -> String {
        let sources: Vec<Value> = self
            .sources
            .iter()
            .map(|s| json!({"stream": s.first.stream, "shard_id": s.first.shard_id, "rows": s.rows, "first": s.first.to_json(), "last": s.last.to_json()}))
            .collect();
        Value::Array(sources).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(shard: &str, first: &str, last: &str) -> PositionRange {
        let at = |seq: &str| Position {
            stream: "s".into(),
            shard_id: shard.into(),
            sequence_number: seq.into(),
            sub_sequence_number: 0,
            event_index: 0,
        };
        PositionRange {
            sources: vec![SourceRange {
                first: at(first),
                last: at(last),
                rows: 2,
            }],
        }
    }

    #[test]
    fn ranges_survive_the_metadata_round_trip() {
        let r = range(
            "shardId-1",
            "49590338271490256608559692538361571095921575989136588898",
            "49590338271490256608559692538361571095921575989136588999",
        );
        assert_eq!(PositionRange::from_json(&r.to_json()), Some(r));
        assert_eq!(PositionRange::from_json("{}"), None);
        assert_eq!(PositionRange::from_json("[{\"stream\": 1}]"), None);
    }

    #[test]
    fn only_ranges_of_one_source_that_share_a_position_overlap() {
        let a = range("shard-1", "100", "200");
        assert!(a.overlaps(&range("shard-1", "200", "300")));
        assert!(a.overlaps(&range("shard-1", "120", "130")));
        // Sequence numbers compare as numbers, not text.
        assert!(!a.overlaps(&range("shard-1", "99", "99")));
        assert!(!a.overlaps(&range("shard-1", "1000", "2000")));
        assert!(!a.overlaps(&range("shard-2", "100", "200")));
    }

    #[test]
    fn a_batch_gives_each_source_its_least_and_greatest_position() {
        use arrow::array::{StringArray, UInt32Array, UInt64Array};
        use arrow::datatypes::{DataType, Field, Schema};
        use std::sync::Arc;

        let schema = Schema::new(vec![
            Field::new("stream", DataType::Utf8, false),
            Field::new("shard_id", DataType::Utf8, false),
            Field::new("sequence_number", DataType::Utf8, false),
            Field::new("sub_sequence_number", DataType::UInt64, true),
            Field::new("event_index", DataType::UInt32, true),
        ]);
        // Rows in arrival order across two shards; "99" < "100" as numbers but not as text,
        // and one record expands to two events (event_index 0 and 1).
        let rows = [
            ("shard-1", "100", 0, 0),
            ("shard-2", "5", 0, 0),
            ("shard-1", "99", 2, 0),
            ("shard-1", "1000", 0, 0),
            ("shard-1", "1000", 0, 1),
            ("shard-2", "40", 1, 0),
            ("shard-1", "99", 1, 0),
        ];
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from(vec!["s"; rows.len()])),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.2))),
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap();
        let range = PositionRange::of_batch(&batch);
        let summary: Vec<_> = range
            .sources
            .iter()
            .map(|s| {
                (
                    s.first.shard_id.as_str(),
                    (
                        s.first.sequence_number.as_str(),
                        s.first.sub_sequence_number,
                        s.first.event_index,
                    ),
                    (
                        s.last.sequence_number.as_str(),
                        s.last.sub_sequence_number,
                        s.last.event_index,
                    ),
                    s.rows,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("shard-1", ("99", 1, 0), ("1000", 0, 1), 5),
                ("shard-2", ("5", 0, 0), ("40", 1, 0), 2),
            ]
        );
    }
}
