//! GetRecords answers read by the consumer itself, not by the SDK's deserializer.
//!
//! *Why:* the SDK reads a GetRecords answer field by field through its schema-driven JSON
//! reader, builds a `Record` with three owned strings and a `Blob` for each record, and only
//! then does the consumer turn those into [`RawRecord`]s. On benchmark P3 that was an eighth of
//! the whole consumer's CPU time and most of the bare GetRecords loop's (`benches/RESULTS.md`).
//! Here [`AnswerSplitter`] finds each record in the body as it arrives, [`wire_record`] reads
//! its fields borrowing the strings, base64 goes straight into the record's buffer, and the
//! [`RawRecord`]s are built once.
//!
//! *How it stays safe:* everything else is still the SDK's. An interceptor swaps the body of a
//! *successful* answer for one that, when the SDK reads it, hands the records taken to the
//! caller and gives the SDK the same answer without them; so signing, retries, timeouts and
//! every error (which are never 200) stay the SDK's, and so do `ChildShards`, the iterator and
//! the lag. Only the SDK's stalled-stream protection is replaced, by [`STALL_TIMEOUT`]. A
//! record this module does not understand, and every record after it, stays in the answer and
//! the SDK reads it as before; the caller appends those records to the ones taken, so their
//! order is kept.

use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use alarmlake_schemas::{RawRecord, RecordPosition};
use aws_sdk_kinesis::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_kinesis::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kinesis::error::BoxError;
use aws_sdk_kinesis::primitives::DateTime as AwsDateTime;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};
use tracing::{debug, warn};

use super::answer_splitter::{AnswerSplitter, Taken};
use super::wire_record::{self, RecordFields};

/// The most a GetRecords answer can hold (10 MiB of data, base64, plus the JSON around it);
/// a larger announced length is not trusted when sizing the list of records.
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// How long a GetRecords answer may go without a byte before its read fails (and the call is
/// retried as a transient error).
///
/// *Why not the SDK's stalled-stream protection* (turned off in `Kinesis::connect`): it checks
/// the body's throughput on a 100 ms timer per call, so each shard's reader woke ten times a
/// second while an answer arrived; on benchmark P3 (kinesis-mock sends a shard's backlog answer
/// over about 13 s) those wake-ups were a tenth of the consumer's CPU and a fifth of the bare
/// read loop's (`benches/RESULTS.md`). This deadline is moved forward as bytes arrive and wakes
/// the reader only if it passes. The call's attempt timeout (`KinesisOptions::attempt_timeout`)
/// still bounds a slow but moving answer.
pub(crate) const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the interceptor leaves the records it took from the answer the SDK returns; `None`
/// when no body was read (an error answer).
pub(crate) type RecordsSlot = Arc<Mutex<Option<Vec<RawRecord>>>>;

/// One GetRecords call's destination for the records taken: where to leave them, and the
/// stream and shard they belong to.
#[derive(Debug, Clone)]
pub(crate) struct RecordsCall {
    pub slot: RecordsSlot,
    pub stream: Arc<str>,
    pub shard_id: Arc<str>,
}

tokio::task_local! {
    /// The GetRecords call the current task is making (see [`RecordsCall::run`]).
    static CALL: RecordsCall;
}

impl RecordsCall {
    /// Runs `call` (one GetRecords `send`) with this call's destination visible to
    /// [`RecordsInterceptor`].
    ///
    /// *Why a task-local and not a per-call interceptor:* adding an interceptor to one call
    /// (`customize().interceptor(..)`) makes the SDK build that call's configuration and runtime
    /// components anew, and drop them after, on every call; that was a tenth of the CPU of each
    /// GetRecords call of an idle consumer (`benches/RESULTS.md`). The interceptor is now the
    /// client's, installed once, and finds the call it serves here. The SDK runs interceptors
    /// inside the future of `send`, so in the task that set this.
    pub async fn run<F: Future>(self, call: F) -> F::Output {
        CALL.scope(self, call).await
    }
}

/// The client's interceptor that installs [`RecordsBody`] on a successful GetRecords answer.
/// It acts only inside [`RecordsCall::run`]; every other call passes through untouched.
#[derive(Debug)]
pub(crate) struct RecordsInterceptor;

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
        let Ok(call) = CALL.try_with(RecordsCall::clone) else {
            return Ok(());
        };
        // A retried attempt must not leave an earlier attempt's records behind.
        take(&call.slot);
        if context.response().status().as_u16() != 200 {
            return Ok(());
        }
        // The announced length from the header: the body's own size hint was hidden by the
        // SDK's stalled-stream wrapper when that was on, and the header does not depend on
        // which wrappers the SDK adds.
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
            splitter: Some(AnswerSplitter::default()),
            taker: RecordTaker::new(&call.stream, &call.shard_id, announced),
            slot: call.slot,
            stall: StallDeadline::new(STALL_TIMEOUT),
        });
        Ok(())
    }
}

/// Empties `slot`, returning what it held.
pub(crate) fn take(slot: &RecordsSlot) -> Option<Vec<RawRecord>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// A response body that takes the records out of the answer as it arrives and yields the rest.
struct RecordsBody {
    inner: SdkBody,
    /// `None` once the rest was yielded.
    splitter: Option<AnswerSplitter>,
    taker: RecordTaker,
    slot: RecordsSlot,
    stall: StallDeadline,
}

/// Fails a body read that waits longer than `limit` for its next bytes (see [`STALL_TIMEOUT`]).
struct StallDeadline {
    limit: Duration,
    /// Armed on the first wait (inside the runtime, which the timer needs).
    timer: Option<Pin<Box<Sleep>>>,
}

impl StallDeadline {
    fn new(limit: Duration) -> Self {
        StallDeadline { limit, timer: None }
    }

    /// Bytes arrived: the next wait starts now.
    fn progressed(&mut self) {
        if let Some(timer) = &mut self.timer {
            timer.as_mut().reset(Instant::now() + self.limit);
        }
    }

    /// The body is waiting: `true` once it has waited too long.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        timer.as_mut().poll(cx).is_ready()
    }
}

impl Body for RecordsBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            let Some(splitter) = this.splitter.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending if this.stall.expired(cx) => {
                    return Poll::Ready(Some(Err(format!(
                        "GetRecords answer stalled: no data for {} s",
                        this.stall.limit.as_secs_f64()
                    )
                    .into())));
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    this.stall.progressed();
                    // Trailers carry nothing a JSON answer needs.
                    if let Ok(data) = frame.into_data() {
                        splitter.feed(&data, &mut |text| this.taker.take(text));
                    }
                }
                Poll::Ready(None) => {
                    let remainder = mem::take(splitter).finish();
                    this.splitter = None;
                    if let Some(why) = &remainder.passed_on_because {
                        note_passed_on(why, &this.taker.shard_id);
                    }
                    *this.slot.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(mem::take(&mut this.taker.records));
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(remainder.rest)))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.splitter.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Turns the record texts the splitter finds into [`RawRecord`]s of one shard.
struct RecordTaker {
    stream: Arc<str>,
    shard_id: Arc<str>,
    records: Vec<RawRecord>,
    /// The answer's announced length, to size `records` once the first record shows how long
    /// a record is: growing a vector of thousands of records by doubling copied it into fresh
    /// pages at every step.
    announced: usize,
}

impl RecordTaker {
    fn new(stream: &Arc<str>, shard_id: &Arc<str>, announced: usize) -> Self {
        RecordTaker {
            stream: Arc::clone(stream),
            shard_id: Arc::clone(shard_id),
            records: Vec::new(),
            announced,
        }
    }

    fn take(&mut self, text: &[u8]) -> Taken {
        let record = wire_record::read(text)
            .and_then(|fields| raw_record(&fields, &self.stream, &self.shard_id));
        match record {
            Ok(record) => {
                if self.records.capacity() == 0 {
                    self.records.reserve(self.announced / text.len().max(1) + 1);
                }
                self.records.push(record);
                Taken::Yes
            }
            Err(why) => Taken::No(why),
        }
    }
}

/// Logs an answer whose records were (from some record on) left to the SDK's reader, once as a
/// warning: it costs CPU, not correctness, and would repeat on every call.
fn note_passed_on(why: &str, shard_id: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if WARNED.swap(true, Ordering::Relaxed) {
        debug!(
            shard = shard_id,
            reason = why,
            "GetRecords records left to the SDK's reader"
        );
    } else {
        warn!(
            shard = shard_id,
            reason = why,
            "a GetRecords answer was not in the expected form; the SDK reads such answers \
             (slower, same records)"
        );
    }
}

fn raw_record(
    record: &RecordFields,
    stream: &Arc<str>,
    shard_id: &Arc<str>,
) -> Result<RawRecord, String> {
    // Straight from the bytes: the base64 alphabet is ASCII, so a UTF-8 check first would only
    // repeat the decoder's own check of every byte.
    let data = base64_simd::STANDARD
        .decode_to_vec(&record.data)
        .map_err(|_| format!("record {}: Data is not base64", record.sequence_number))?;
    let arrival = match record.arrival {
        Some(number) => Some(arrival_time(number).ok_or_else(|| {
            format!(
                "record {}: ApproximateArrivalTimestamp {number} is not epoch seconds",
                record.sequence_number,
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

/// Converts the SDK's records: those this module left in the answer.
pub(crate) fn from_sdk(
    records: Vec<aws_sdk_kinesis::types::Record>,
    stream: &Arc<str>,
    shard_id: &Arc<str>,
) -> impl Iterator<Item = RawRecord> {
    records.into_iter().map(|record| {
        kinesis_record(
            record.data.into_inner(),
            stream,
            shard_id,
            record.sequence_number,
            record.partition_key,
            record.approximate_arrival_timestamp.and_then(utc),
        )
    })
}

/// What the consumer takes of one GetRecords answer, and what it leaves to the SDK's reader.
#[derive(Debug)]
pub struct SplitAnswer {
    /// The records taken, in the answer's order.
    pub records: Vec<RawRecord>,
    /// The answer without them: what the SDK reads.
    pub rest: Vec<u8>,
    /// Why records were left in the rest, if any were.
    pub passed_on_because: Option<String>,
}

/// Splits a whole answer `body` exactly as [`RecordsBody`] does while it arrives, fed in chunks
/// of `chunk` bytes (0: all at once), for records of `shard` of `stream`.
///
/// *Why public:* the differential fuzz target (`fuzz/`) and the tests hold this reading against
/// serde's reading of the same answer; a record taken here must be the record the SDK would
/// have read.
pub fn split_answer(body: &[u8], chunk: usize, stream: &str, shard: &str) -> SplitAnswer {
    let mut splitter = AnswerSplitter::default();
    let mut taker = RecordTaker::new(&stream.into(), &shard.into(), body.len());
    let chunk = if chunk == 0 { body.len().max(1) } else { chunk };
    for piece in body.chunks(chunk) {
        splitter.feed(piece, &mut |text| taker.take(text));
    }
    let remainder = splitter.finish();
    SplitAnswer {
        records: taker.records,
        rest: remainder.rest,
        passed_on_because: remainder.passed_on_because,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `body` as [`RecordsBody`] does, fed in chunks of five bytes (so records and
    /// escapes are cut across chunks).
    fn split_of(body: &str, stream: &str, shard: &str) -> SplitAnswer {
        split_answer(body.as_bytes(), 5, stream, shard)
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
        let split = split_of(ANSWER, "s", "shardId-000000000003");
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
        let split = split_of(body, "p3", "shardId-000000000001");
        assert_eq!(split.records.len(), 1);
        assert_eq!(split.records[0].data, br#"{"site": "home-0022"}"#);
    }

    #[test]
    fn an_empty_answer_and_a_closed_shard_without_children_split() {
        let split = split_of(r#"{"Records":[],"MillisBehindLatest":0}"#, "s", "x");
        assert!(split.records.is_empty());
        let rest: serde_json::Value = serde_json::from_slice(&split.rest).unwrap();
        assert_eq!(
            rest,
            serde_json::json!({"Records": [], "MillisBehindLatest": 0})
        );
        let ended = split_of(r#"{"Records":[],"ChildShards":[]}"#, "s", "x");
        assert!(ended.records.is_empty());
    }

    #[test]
    fn a_shards_end_keeps_its_children_for_the_sdk() {
        let body = r#"{"Records":[{"SequenceNumber":"7","Data":"AA=="}],"MillisBehindLatest":0,
            "ChildShards":[{"ShardId":"shardId-000000000004","ParentShards":["shardId-000000000001"],
             "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"}}]}"#;
        let split = split_of(body, "s", "x");
        assert_eq!(split.records.len(), 1);
        assert_eq!(split.passed_on_because, None);
        // The SDK's own reader gets the children from the rest.
        let rest_json: serde_json::Value = serde_json::from_slice(&split.rest).unwrap();
        assert_eq!(rest_json["Records"], serde_json::json!([]));
        assert_eq!(
            rest_json["ChildShards"][0]["ParentShards"][0],
            "shardId-000000000001"
        );
    }

    #[test]
    fn records_it_does_not_understand_are_left_to_the_sdk_in_order() {
        for (bad, reason) in [
            (
                r#"{"Records":[{"SequenceNumber":"1","Data":"***"}]}"#,
                "record 1: Data",
            ),
            (
                r#"{"Records":[{"SequenceNumber":"1"}]}"#,
                "missing field `Data`",
            ),
            (
                r#"{"Records":[{"Data":"AA==","SequenceNumber":"1","ApproximateArrivalTimestamp":"x"}]}"#,
                "record 1: ApproximateArrivalTimestamp",
            ),
        ] {
            let split = split_of(bad, "s", "x");
            assert!(split.records.is_empty(), "{bad}");
            assert_eq!(split.rest, bad.as_bytes(), "{bad}");
            let why = split.passed_on_because.unwrap();
            assert!(why.starts_with(reason), "{bad}: {why}");
        }
        // The records before the first one not understood are taken; it and all after it stay.
        let mixed = r#"{"Records":[{"SequenceNumber":"1","Data":"AA=="},{"SequenceNumber":"2","Data":"*"},{"SequenceNumber":"3","Data":"AQ=="}]}"#;
        let split = split_of(mixed, "s", "x");
        assert_eq!(split.records.len(), 1);
        assert_eq!(split.records[0].position.sequence_number, "1");
        assert_eq!(
            split.rest,
            br#"{"Records":[{"SequenceNumber":"2","Data":"*"},{"SequenceNumber":"3","Data":"AQ=="}]}"#
        );
        // Not JSON, or no list: nothing is taken and the SDK reads (and rejects) the answer.
        for odd in ["", "not json", r#"{"Records":{}}"#] {
            let split = split_of(odd, "s", "x");
            assert!(split.records.is_empty(), "{odd}");
            assert_eq!(split.rest, odd.as_bytes(), "{odd}");
        }
    }

    #[test]
    fn an_answer_broken_next_to_a_record_taken_stays_broken_for_the_sdk() {
        // Found by the `get_records` fuzz target: a form feed (whitespace to Rust, not to JSON)
        // between two records; then the other ways a list can break where a record was taken.
        for broken in [
            "{\"Records\":[{\"SequenceNumber\":\"1\",\"Data\":\"AA==\"}\u{c} {\"SequenceNumber\":\"2\",\"Data\":\"AQ==\"}]}",
            r#"{"Records":[{"SequenceNumber":"1","Data":"AA=="} {"SequenceNumber":"2","Data":"AQ=="}]}"#,
            r#"{"Records":[{"SequenceNumber":"1","Data":"AA=="},]}"#,
            r#"{"Records":[{"SequenceNumber":"1","Data":"AA=="},,{"SequenceNumber":"2","Data":"AQ=="}]}"#,
        ] {
            assert!(serde_json::from_str::<serde_json::Value>(broken).is_err());
            let split = split_of(broken, "s", "x");
            assert!(
                serde_json::from_slice::<serde_json::Value>(&split.rest).is_err(),
                "{broken} became {}",
                String::from_utf8_lossy(&split.rest)
            );
        }
    }

    /// A response body that yields its chunks after the given pauses, then waits forever
    /// (`hang`) or ends.
    struct Paced {
        chunks: std::collections::VecDeque<(Duration, &'static str)>,
        pause: Option<Pin<Box<Sleep>>>,
        hang: bool,
    }

    impl Body for Paced {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            let Some(&(wait, text)) = self.chunks.front() else {
                return if self.hang {
                    Poll::Pending
                } else {
                    Poll::Ready(None)
                };
            };
            let pause = self
                .pause
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(wait)));
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
            self.chunks.pop_front();
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(text.as_bytes())))))
        }
    }

    /// Reads `chunks` through a [`RecordsBody`] with a stall limit of `limit`: the rest the SDK
    /// gets, or the read's error; and the records taken.
    async fn read_paced(
        chunks: &[(Duration, &'static str)],
        hang: bool,
        limit: Duration,
    ) -> (Result<Vec<u8>, String>, Option<Vec<RawRecord>>) {
        let slot = RecordsSlot::default();
        let mut body = RecordsBody {
            inner: SdkBody::from_body_1_x(Paced {
                chunks: chunks.iter().copied().collect(),
                pause: None,
                hang,
            }),
            splitter: Some(AnswerSplitter::default()),
            taker: RecordTaker::new(&"s".into(), &"x".into(), 0),
            slot: Arc::clone(&slot),
            stall: StallDeadline::new(limit),
        };
        let mut rest = Vec::new();
        let read = loop {
            match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
                None => break Ok(rest),
                Some(Ok(frame)) => rest.extend_from_slice(&frame.into_data().unwrap()),
                Some(Err(e)) => break Err(e.to_string()),
            }
        };
        (read, take(&slot))
    }

    #[tokio::test]
    async fn an_answer_that_keeps_arriving_is_read_even_past_the_stall_limit() {
        // Four pauses of half the limit: twice the limit in all, never the limit at once.
        let half = Duration::from_millis(150);
        let chunks = [
            (half, r#"{"Records":[{"SequenceNumber":"1","Da"#),
            (half, r#"ta":"AA=="},{"SequenceNumber":"2","#),
            (half, r#""Data":"AQ=="}],"MillisBe"#),
            (half, r#"hindLatest":0}"#),
        ];
        let (rest, records) = read_paced(&chunks, false, half * 2).await;
        assert_eq!(rest.unwrap(), br#"{"Records":[],"MillisBehindLatest":0}"#);
        let sequence: Vec<String> = records
            .unwrap()
            .into_iter()
            .map(|r| r.position.sequence_number)
            .collect();
        assert_eq!(sequence, ["1", "2"]);
    }

    #[tokio::test]
    async fn an_answer_that_stops_arriving_fails_after_the_stall_limit() {
        let limit = Duration::from_millis(200);
        let started = Instant::now();
        let chunks = [(Duration::ZERO, r#"{"Records":[{"SequenceNumber":"1","#)];
        let (rest, records) = read_paced(&chunks, true, limit).await;
        let error = rest.unwrap_err();
        assert!(error.contains("stalled: no data for 0.2 s"), "{error}");
        assert!(started.elapsed() >= limit);
        // Nothing is handed on from an answer that did not arrive whole.
        assert!(records.is_none());
    }
}
