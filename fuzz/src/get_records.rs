//! The differential target for the consumer's own GetRecords reader
//! (`ingest/src/kinesis/records_body.rs`): the records it takes out of an answer, followed by
//! the records the SDK then reads from what it left, must be exactly the records a reading of
//! the whole answer gives; and an answer that reading rejects must stay rejected.
//!
//! The reference is serde reading the answer into the fields the SDK's model has, converting
//! data and arrival times with the SDK's own base64 decoder and timestamp type. It stands in for
//! the SDK on both sides, the whole answer and the rest, so the property checks the splitter and
//! the record reader, not serde against the SDK.
//!
//! Input: the first byte picks the chunk size the answer arrives in (0: all at once), so
//! records and escapes are cut across chunks; the rest is the answer.

use alarmlake_ingest::kinesis::split_answer;
use aws_smithy_types::DateTime as AwsDateTime;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A GetRecords answer as the SDK's model has it (other fields are ignored, as the SDK does).
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<WireRecord<'a>>,
    #[serde(rename = "NextShardIterator", default)]
    next_shard_iterator: Option<String>,
    #[serde(rename = "MillisBehindLatest", default)]
    millis_behind_latest: Option<i64>,
    #[serde(rename = "ChildShards", default)]
    child_shards: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireRecord<'a> {
    #[serde(rename = "SequenceNumber")]
    sequence_number: String,
    #[serde(rename = "Data")]
    data: String,
    #[serde(rename = "PartitionKey", default)]
    partition_key: Option<String>,
    #[serde(rename = "ApproximateArrivalTimestamp", borrow, default)]
    arrival: Option<&'a RawValue>,
}

/// One record as the consumer must end up with it. `arrival: None` means the answer gave no
/// usable time, so the record is stamped when read.
#[derive(Debug, PartialEq)]
struct Expected {
    sequence_number: String,
    data: Vec<u8>,
    partition_key: Option<String>,
    arrival: Option<DateTime<Utc>>,
}

/// The answer's fields other than its records, which must reach the SDK unchanged.
#[derive(Debug, PartialEq)]
struct Rest {
    next_shard_iterator: Option<String>,
    millis_behind_latest: Option<i64>,
    child_shards: Option<serde_json::Value>,
}

/// The reference reading of a whole answer, or why it is rejected.
fn reference(body: &[u8]) -> Result<(Vec<Expected>, Rest), String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let records = answer
        .records
        .into_iter()
        .map(|record| {
            let data = base64_simd::STANDARD
                .decode_to_vec(record.data.as_bytes())
                .map_err(|e| format!("Data: {e}"))?;
            let arrival = match record.arrival.map(RawValue::get) {
                None | Some("null") => None,
                Some(number) => {
                    // As the SDK reads an epoch-seconds timestamp: the number through f64.
                    let seconds: f64 = number
                        .parse()
                        .map_err(|_| format!("ApproximateArrivalTimestamp: {number}"))?;
                    let at = AwsDateTime::from_secs_f64(seconds);
                    Utc.timestamp_opt(at.secs(), at.subsec_nanos()).single()
                }
            };
            Ok(Expected {
                sequence_number: record.sequence_number,
                data,
                partition_key: record.partition_key.filter(|k| !k.is_empty()),
                arrival,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let rest = Rest {
        next_shard_iterator: answer.next_shard_iterator,
        millis_behind_latest: answer.millis_behind_latest,
        child_shards: answer.child_shards,
    };
    Ok((records, rest))
}

/// See the module's doc.
pub fn check(input: &[u8]) {
    let Some((&chunk, body)) = input.split_first() else {
        return;
    };
    let before = Utc::now();
    let split = split_answer(body, usize::from(chunk), "fuzz", "shardId-000000000000");
    let after = Utc::now();
    let whole = reference(body);
    let of_rest = reference(&split.rest);
    match whole {
        Err(why) => assert!(
            of_rest.is_err(),
            "an answer the reference rejects ({why}) was accepted once split: {} records taken, \
             rest {:?}",
            split.records.len(),
            String::from_utf8_lossy(&split.rest)
        ),
        Ok((expected, fields)) => {
            let (left, rest_fields) = match of_rest {
                Ok(read) => read,
                Err(why) => panic!(
                    "an answer the reference reads was broken by the split ({why}): rest {:?}",
                    String::from_utf8_lossy(&split.rest)
                ),
            };
            assert_eq!(
                rest_fields, fields,
                "the fields besides the records changed"
            );
            assert_eq!(
                split.records.len() + left.len(),
                expected.len(),
                "records taken {} + left {} against {}",
                split.records.len(),
                left.len(),
                expected.len()
            );
            for (taken, want) in split.records.iter().zip(&expected) {
                let position = &taken.position;
                assert_eq!(position.sequence_number, want.sequence_number);
                assert_eq!(taken.data, want.data, "record {}", want.sequence_number);
                assert_eq!(position.partition_key, want.partition_key);
                match want.arrival {
                    Some(at) => assert_eq!(position.arrival_time, at),
                    None => assert!(
                        (before..=after).contains(&position.arrival_time),
                        "a record without a time is stamped when read"
                    ),
                }
            }
            assert_eq!(left[..], expected[split.records.len()..]);
        }
    }
}
