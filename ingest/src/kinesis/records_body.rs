//! GetRecords answers read by the consumer itself, not by the SDK's deserializer.
//!
//! *Why:* the SDK reads a GetRecords answer field by field through its schema-driven JSON
//! reader, builds a `Record` with three owned strings and a `Blob` for each record, and only
//! then does the consumer turn those into [`RawRecord`]s. On benchmark P3 that was an eighth of
//! the whole consumer's CPU time and most of the bare GetRecords loop's (`benches/RESULTS.md`).
//! Here one pass of `serde_json` borrows the strings from the body, base64 goes straight into
//! the record's buffer, and the [`RawRecord`]s are built once.
//!
//! *How it stays safe:* everything else is still the SDK's. An interceptor swaps the body of a
//! *successful* answer for one that, when the SDK reads it, hands the parsed records to the
//! caller and gives the SDK the same answer with an empty `Records` list; so signing, retries,
//! timeouts, stalled-stream protection and every error (which are never 200) stay the SDK's.
//! An answer this module does not fully understand — not JSON as expected, or one that carries
//! `ChildShards` (a shard's end, once per shard) — passes through untouched and the SDK reads
//! it as before.

use std::borrow::Cow;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use alarmlake_schemas::{RawRecord, RecordPosition};
use aws_sdk_kinesis::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_kinesis::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kinesis::error::BoxError;
use aws_sdk_kinesis::primitives::DateTime as AwsDateTime;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http_body::{Body, Frame, SizeHint};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use tracing::{debug, warn};

/// The most a GetRecords answer can hold (10 MiB of data, base64, plus the JSON around it);
/// a larger announced length is not trusted for the first allocation.
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// Where the interceptor leaves the records of the answer the SDK returns; `None` when the SDK
/// read the answer itself.
pub(crate) type RecordsSlot = Arc<Mutex<Option<Vec<RawRecord>>>>;

/// The per-call interceptor that installs [`RecordsBody`] on a successful GetRecords answer.
#[derive(Debug)]
pub(crate) struct RecordsInterceptor {
    pub slot: RecordsSlot,
    pub stream: Arc<str>,
    pub shard_id: Arc<str>,
}

impl Intercept for RecordsInterceptor {
    fn name(&self) -> &'static str {
        "alarmlake::GetRecordsBody"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A retried attempt must not leave an earlier attempt's records behind.
        take(&self.slot);
        if context.response().status().as_u16() != 200 {
            return Ok(());
        }
        // One allocation of the announced length: growing a buffer of megabytes by doubling
        // faulted in fresh pages at every step. The header, because the SDK's stalled-stream
        // wrapper around the body does not pass the body's size on.
        let announced = context
            .response()
            .headers()
            .get("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            .min(MAX_ANSWER_BYTES) as usize;
        let inner = mem::replace(context.response_mut().body_mut(), SdkBody::taken());
        *context.response_mut().body_mut() = SdkBody::from_body_1_x(RecordsBody {
            inner,
            buffer: Vec::with_capacity(announced),
            done: false,
            slot: Arc::clone(&self.slot),
            stream: Arc::clone(&self.stream),
            shard_id: Arc::clone(&self.shard_id),
        });
        Ok(())
    }
}

/// Empties `slot`, returning what it held.
pub(crate) fn take(slot: &RecordsSlot) -> Option<Vec<RawRecord>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// A response body that reads the whole answer, keeps its records, and yields the rest.
struct RecordsBody {
    inner: SdkBody,
    buffer: Vec<u8>,
    done: bool,
    slot: RecordsSlot,
    stream: Arc<str>,
    shard_id: Arc<str>,
}

impl Body for RecordsBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers carry nothing a JSON answer needs.
                    if let Ok(data) = frame.into_data() {
                        this.buffer.extend_from_slice(&data);
                    }
                }
                Poll::Ready(None) => {
                    this.done = true;
                    let body = mem::take(&mut this.buffer);
                    let rest = match split_records(&body, &this.stream, &this.shard_id) {
                        Ok(split) => {
                            *this.slot.lock().unwrap_or_else(PoisonError::into_inner) =
                                Some(split.records);
                            split.rest
                        }
                        Err(reason) => {
                            note_left_to_sdk(&reason, &this.shard_id);
                            body
                        }
                    };
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// A GetRecords answer taken apart: its records, and the answer without them.
#[derive(Debug)]
pub(crate) struct SplitAnswer {
    pub records: Vec<RawRecord>,
    /// The same answer with `"Records": []`, for the SDK to read.
    pub rest: Vec<u8>,
}

#[derive(Deserialize)]
struct WireAnswer<'a> {
    #[serde(rename = "Records", default)]
    records: Vec<WireRecord<'a>>,
    #[serde(rename = "NextShardIterator", borrow, default)]
    next_shard_iterator: Option<Cow<'a, str>>,
    #[serde(rename = "MillisBehindLatest", default)]
    millis_behind_latest: Option<i64>,
    #[serde(rename = "ChildShards", default)]
    child_shards: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
struct WireRecord<'a> {
    #[serde(rename = "Data", borrow)]
    data: Cow<'a, str>,
    #[serde(rename = "SequenceNumber", borrow)]
    sequence_number: Cow<'a, str>,
    #[serde(rename = "PartitionKey", borrow, default)]
    partition_key: Option<Cow<'a, str>>,
    #[serde(rename = "ApproximateArrivalTimestamp", borrow, default)]
    arrival: Option<&'a RawValue>,
}

/// What the SDK is given back: the fields it still reads, and no records.
#[derive(serde::Serialize)]
struct RestAnswer<'a> {
    #[serde(rename = "Records")]
    records: [(); 0],
    #[serde(rename = "NextShardIterator", skip_serializing_if = "Option::is_none")]
    next_shard_iterator: Option<&'a str>,
    #[serde(rename = "MillisBehindLatest", skip_serializing_if = "Option::is_none")]
    millis_behind_latest: Option<i64>,
}

/// Why an answer is left to the SDK's reader.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LeftToSdk {
    /// The shard's last answer, naming its children: rare, and read by the SDK as before.
    ChildShards,
    /// Not the JSON this module expects (a format change, or a malformed record).
    Unexpected(String),
}

/// Logs an answer left to the SDK: a shard's end quietly; anything unexpected once as a warning
/// (it costs CPU, not correctness, and would repeat on every call), then quietly.
fn note_left_to_sdk(reason: &LeftToSdk, shard_id: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    match reason {
        LeftToSdk::Unexpected(why) if !WARNED.swap(true, Ordering::Relaxed) => warn!(
            shard = shard_id,
            reason = %why,
            "a GetRecords answer was not in the expected form; the SDK reads such answers \
             (slower, same records)"
        ),
        _ => debug!(
            shard = shard_id,
            ?reason,
            "GetRecords answer left to the SDK's reader"
        ),
    }
}

/// Takes a GetRecords answer of `shard_id` apart, or says why the SDK should read it instead.
pub(crate) fn split_records(
    body: &[u8],
    stream: &Arc<str>,
    shard_id: &Arc<str>,
) -> Result<SplitAnswer, LeftToSdk> {
    let unexpected = |e: &dyn std::fmt::Display| LeftToSdk::Unexpected(e.to_string());
    let answer: WireAnswer = serde_json::from_slice(body).map_err(|e| unexpected(&e))?;
    if answer.child_shards.as_ref().is_some_and(|c| !c.is_empty()) {
        return Err(LeftToSdk::ChildShards);
    }
    // Sized up front: collecting through `Result` gives no size hint, and growing a vector of
    // thousands of records by doubling copied it into fresh pages at every step.
    let mut records = Vec::with_capacity(answer.records.len());
    for record in &answer.records {
        records.push(raw_record(record, stream, shard_id).map_err(|e| unexpected(&e))?);
    }
    let rest = serde_json::to_vec(&RestAnswer {
        records: [],
        next_shard_iterator: answer.next_shard_iterator.as_deref(),
        millis_behind_latest: answer.millis_behind_latest,
    })
    .map_err(|e| unexpected(&e))?;
    Ok(SplitAnswer { records, rest })
}

fn raw_record(
    record: &WireRecord,
    stream: &Arc<str>,
    shard_id: &Arc<str>,
) -> Result<RawRecord, String> {
    let data = aws_smithy_types::base64::decode(record.data.as_ref())
        .map_err(|e| format!("record {}: Data: {e}", record.sequence_number))?;
    let arrival = match record.arrival {
        Some(raw) => Some(arrival_time(raw.get()).ok_or_else(|| {
            format!(
                "record {}: ApproximateArrivalTimestamp {} is not epoch seconds",
                record.sequence_number,
                raw.get()
            )
        })?),
        None => None,
    };
    Ok(kinesis_record(
        data,
        stream,
        shard_id,
        record.sequence_number.to_string(),
        record.partition_key.as_deref().map(str::to_string),
        arrival,
    ))
}

/// One Kinesis record as a [`RawRecord`], the same whichever reader read the answer: an empty
/// partition key is none, and a record without an arrival time is stamped when read.
fn kinesis_record(
    data: Vec<u8>,
    stream: &Arc<str>,
    shard_id: &Arc<str>,
    sequence_number: String,
    partition_key: Option<String>,
    arrival: Option<DateTime<Utc>>,
) -> RawRecord {
    RawRecord {
        data,
        position: RecordPosition {
            stream: Arc::clone(stream),
            shard_id: Arc::clone(shard_id),
            sequence_number,
            sub_sequence_number: 0,
            partition_key: partition_key.filter(|k| !k.is_empty()),
            arrival_time: arrival.unwrap_or_else(Utc::now),
        },
    }
}

/// The SDK's timestamp as chrono's; `None` outside chrono's range.
fn utc(at: AwsDateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(at.secs(), at.subsec_nanos()).single()
}

/// An `ApproximateArrivalTimestamp` (epoch seconds, a JSON number) as the SDK would read it:
/// whole seconds exactly, a fraction through `f64`.
fn arrival_time(number: &str) -> Option<DateTime<Utc>> {
    let at = match number.parse::<i64>() {
        Ok(seconds) => AwsDateTime::from_secs(seconds),
        Err(_) => AwsDateTime::from_secs_f64(number.parse::<f64>().ok()?),
    };
    utc(at)
}

/// Converts the SDK's records, for answers this module leaves to the SDK.
pub(crate) fn from_sdk(
    records: Vec<aws_sdk_kinesis::types::Record>,
    stream: &Arc<str>,
    shard_id: &Arc<str>,
) -> Vec<RawRecord> {
    records
        .into_iter()
        .map(|record| {
            kinesis_record(
                record.data.into_inner(),
                stream,
                shard_id,
                record.sequence_number,
                record.partition_key,
                record.approximate_arrival_timestamp.and_then(utc),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`split_records`] of `body` as read from `shard` of `stream`.
    fn split_of(body: &str, stream: &str, shard: &str) -> Result<SplitAnswer, LeftToSdk> {
        split_records(body.as_bytes(), &stream.into(), &shard.into())
    }

    /// A GetRecords answer as Kinesis and kinesis-mock write it.
    const ANSWER: &str = r#"{"Records":[
        {"SequenceNumber":"49590338271490256608559692538361571095921575989136588898",
         "ApproximateArrivalTimestamp":1764541851.123,
         "Data":"eyJldmVudCI6IkFSTSJ9","PartitionKey":"site-0007","EncryptionType":"NONE"},
        {"SequenceNumber":"49590338271490256608559692540925702759324208523137515618",
         "ApproximateArrivalTimestamp":1764541852,
         "Data":"IVJGWDowMTIzNDU2LDAwMDAwMDAwMDAwMDAwMDAK","PartitionKey":"caf\u00e9 \"7\""}],
        "NextShardIterator":"AAAAAAAAAAH+/x==","MillisBehindLatest":2500}"#;

    #[test]
    fn records_are_taken_out_and_the_rest_keeps_iterator_and_lag() {
        let split = split_of(ANSWER, "s", "shardId-000000000003").unwrap();
        assert_eq!(split.records.len(), 2);
        let first = &split.records[0];
        assert_eq!(first.data, br#"{"event":"ARM"}"#);
        assert_eq!(&*first.position.shard_id, "shardId-000000000003");
        assert_eq!(&*first.position.stream, "s");
        assert_eq!(
            first.position.sequence_number,
            "49590338271490256608559692538361571095921575989136588898"
        );
        assert_eq!(first.position.partition_key.as_deref(), Some("site-0007"));
        // Through f64, as the SDK reads it: within a microsecond of the written time.
        let micros = first.position.arrival_time.timestamp_micros();
        assert!((micros - 1_764_541_851_123_000).abs() <= 1, "{micros}");
        let second = &split.records[1];
        assert_eq!(second.data, b"!RFX:0123456,0000000000000000\n");
        // Escaped keys are unescaped, as the SDK does.
        assert_eq!(second.position.partition_key.as_deref(), Some("café \"7\""));
        assert_eq!(
            second.position.arrival_time.timestamp_millis(),
            1_764_541_852_000
        );
        let rest: serde_json::Value = serde_json::from_slice(&split.rest).unwrap();
        assert_eq!(
            rest,
            serde_json::json!({"Records": [], "NextShardIterator": "AAAAAAAAAAH+/x==",
                               "MillisBehindLatest": 2500})
        );
    }

    #[test]
    fn fractional_arrival_times_match_the_sdk() {
        for text in [
            "1764541851.123",
            "1764541851.999999",
            "1.764541851e9",
            "0.5",
        ] {
            let ours = arrival_time(text).unwrap();
            let sdk = AwsDateTime::from_secs_f64(text.parse().unwrap());
            assert_eq!(ours.timestamp(), sdk.secs(), "{text}");
            assert_eq!(ours.timestamp_subsec_nanos(), sdk.subsec_nanos(), "{text}");
        }
        assert!(arrival_time("\"soon\"").is_none());
    }

    #[test]
    fn kinesis_mock_answers_with_null_child_shards_split() {
        // The shape kinesis-local 0.6.2 writes (keys sorted, `ChildShards` null while open).
        let body = r#"{"ChildShards":null,"MillisBehindLatest":0,"NextShardIterator":"AAAA","Records":[{"ApproximateArrivalTimestamp":1796075080.177,"Data":"eyJzaXRlIjogImhvbWUtMDAyMiJ9","EncryptionType":"NONE","PartitionKey":"home-0022","SequenceNumber":"49680718310838100366951283386652565902625958383195258898"}]}"#;
        let split = split_of(body, "p3", "shardId-000000000001").unwrap();
        assert_eq!(split.records.len(), 1);
        assert_eq!(split.records[0].data, br#"{"site": "home-0022"}"#);
    }

    #[test]
    fn an_empty_answer_and_a_closed_shard_without_children_split() {
        let split = split_of(r#"{"Records":[],"MillisBehindLatest":0}"#, "s", "x").unwrap();
        assert!(split.records.is_empty());
        let rest: serde_json::Value = serde_json::from_slice(&split.rest).unwrap();
        assert_eq!(
            rest,
            serde_json::json!({"Records": [], "MillisBehindLatest": 0})
        );
        let ended = split_of(r#"{"Records":[],"ChildShards":[]}"#, "s", "x").unwrap();
        assert!(ended.records.is_empty());
    }

    #[test]
    fn answers_it_does_not_fully_understand_are_left_to_the_sdk() {
        let with_children = r#"{"Records":[],"MillisBehindLatest":0,"ChildShards":[
            {"ShardId":"shardId-000000000004","ParentShards":["shardId-000000000001"],
             "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"}}]}"#;
        assert_eq!(
            split_of(with_children, "s", "x").unwrap_err(),
            LeftToSdk::ChildShards
        );
        for bad in [
            "",
            "not json",
            r#"{"Records":[{"SequenceNumber":"1","Data":"***"}]}"#,
            r#"{"Records":[{"SequenceNumber":"1"}]}"#,
            r#"{"Records":[{"Data":"AA==","SequenceNumber":"1","ApproximateArrivalTimestamp":"x"}]}"#,
            r#"{"Records":{}}"#,
        ] {
            assert!(
                matches!(split_of(bad, "s", "x"), Err(LeftToSdk::Unexpected(_))),
                "{bad}"
            );
        }
    }
}
