//! Enhanced fan-out: each shard read through SubscribeToShard, as a registered stream consumer,
//! instead of polled with GetRecords.
//!
//! *Why:* polling readers share a shard's 2 MB/s and five calls a second with every other
//! application reading the stream; a registered consumer gets its own 2 MB/s per shard, pushed
//! to it as records arrive (KCL 2 and 3 and Lambda read so).
//!
//! *How it fits the reader:* the shard reader's checkpoints, leases, resharding order and
//! exactly-once logic are written against [`RecordSource`]'s pull calls, and must stay one
//! piece of code. So fan-out is one more source: an "iterator" here is a position token
//! (`efo:after:SEQ`, ...), and `get_records` takes the next event of the shard's subscription,
//! subscribing first when there is none for that position (at start, after the five minutes
//! a subscription lasts, after an error). The page's next token is the event's continuation
//! sequence number; an event that names child shards is the shard's end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::primitives::DateTime as AwsDateTime;
use aws_sdk_kinesis::types::error::SubscribeToShardEventStreamError;
use aws_sdk_kinesis::types::{
    ConsumerStatus, ShardIteratorType, StartingPosition, SubscribeToShardEventStream,
};
use tracing::{debug, info};

use super::client::{Kinesis, RecordsPage, StartAt};
use super::errors::{ErrorKind, KinesisError};
use super::records_body;

/// How long a page waits for the subscription's next event before it answers empty. Kinesis
/// sends an event at least every five seconds, records or not; a longer silence is read as the
/// shard's tip, and the subscription is renewed.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// How often a subscription that is caught up and receives nothing asks whether its shard is
/// closed (see [`FanOut::read_to_end`]).
const END_CHECK: Duration = Duration::from_secs(5);

/// How long registering waits for the consumer to become ACTIVE.
const ACTIVE_WAIT: Duration = Duration::from_secs(120);

type Events = aws_sdk_kinesis::primitives::event_stream::EventReceiver<
    SubscribeToShardEventStream,
    SubscribeToShardEventStreamError,
>;

/// One shard's open subscription.
struct Subscription {
    /// The position token of the page it delivers next.
    token: String,
    events: Events,
    /// When it was last asked whether its shard is closed and read to the end (see
    /// [`FanOut::read_to_end`]).
    checked: Instant,
}

/// A stream read through a registered consumer.
#[derive(Clone)]
pub struct FanOut {
    kinesis: Kinesis,
    /// The stream's name, shared by every record's position.
    stream: Arc<str>,
    consumer_name: Arc<str>,
    consumer_arn: Arc<str>,
    subscriptions: Arc<Mutex<HashMap<String, Subscription>>>,
}

impl std::fmt::Debug for FanOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FanOut")
            .field("stream", &self.kinesis.stream())
            .field("consumer", &self.consumer_arn)
            .finish()
    }
}

/// Whether an error `code` says a subscription of this consumer to this shard is still open (a
/// predecessor's, or one renewed within five seconds). It ends by itself, so it is throttling:
/// wait and subscribe again.
fn still_subscribed(code: &str) -> bool {
    code == "ResourceInUseException"
}

fn start_error(operation: &'static str, message: String) -> KinesisError {
    KinesisError {
        kind: ErrorKind::Other,
        operation,
        message,
    }
}

/// Checks a consumer name as Kinesis does (`[a-zA-Z0-9_.-]+`, at most 128 characters), so a
/// bad one is one clear line at start.
pub fn check_consumer_name(name: &str) -> Result<(), KinesisError> {
    let valid = (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(start_error(
            "--efo",
            format!(
                "{name:?} is not a valid consumer name: 1 to 128 letters, digits, '_', '.' or '-', \
                 or a consumer ARN of this stream"
            ),
        ))
    }
}

impl FanOut {
    /// Registers the stream consumer `name` (or reuses it if it exists, or takes a consumer
    /// ARN of this stream), and waits until it is ACTIVE.
    pub async fn register(kinesis: Kinesis, name: &str) -> Result<FanOut, KinesisError> {
        let client = kinesis.client().clone();
        let summary = client
            .describe_stream_summary()
            .stream_name(kinesis.stream())
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("DescribeStreamSummary", e))?;
        let stream_arn = summary
            .stream_description_summary()
            .map(|s| s.stream_arn().to_string())
            .unwrap_or_default();
        let consumer_arn = if name.starts_with("arn:") {
            // A consumer ARN is `<stream ARN>/consumer/<name>:<timestamp>`.
            if !name.starts_with(&format!("{stream_arn}/consumer/")) {
                return Err(start_error(
                    "--efo",
                    format!("consumer {name} is registered for another stream, not {stream_arn}"),
                ));
            }
            name.to_string()
        } else {
            check_consumer_name(name)?;
            match client
                .register_stream_consumer()
                .stream_arn(&stream_arn)
                .consumer_name(name)
                .send()
                .await
            {
                Ok(registered) => {
                    info!(consumer = name, "registered the stream consumer");
                    registered
                        .consumer()
                        .map(|c| c.consumer_arn().to_string())
                        .unwrap_or_default()
                }
                Err(e) if e.code() == Some("ResourceInUseException") => {
                    let described = client
                        .describe_stream_consumer()
                        .stream_arn(&stream_arn)
                        .consumer_name(name)
                        .send()
                        .await
                        .map_err(|e| KinesisError::from_sdk("DescribeStreamConsumer", e))?;
                    info!(consumer = name, "reusing the registered stream consumer");
                    described
                        .consumer_description()
                        .map(|c| c.consumer_arn().to_string())
                        .unwrap_or_default()
                }
                Err(e) => return Err(KinesisError::from_sdk("RegisterStreamConsumer", e)),
            }
        };
        let consumer_name = consumer_arn
            .rsplit_once("/consumer/")
            .and_then(|(_, rest)| rest.split(':').next())
            .unwrap_or(name)
            .to_string();
        let fan_out = FanOut {
            stream: Arc::from(kinesis.stream()),
            kinesis,
            consumer_name: Arc::from(consumer_name),
            consumer_arn: Arc::from(consumer_arn),
            subscriptions: Arc::default(),
        };
        fan_out.wait_active().await?;
        Ok(fan_out)
    }

    async fn wait_active(&self) -> Result<(), KinesisError> {
        let started = Instant::now();
        loop {
            let described = self
                .kinesis
                .client()
                .describe_stream_consumer()
                .consumer_arn(&*self.consumer_arn)
                .send()
                .await
                .map_err(|e| KinesisError::from_sdk("DescribeStreamConsumer", e))?;
            let status = described
                .consumer_description()
                .map(|c| c.consumer_status().clone());
            match status {
                Some(ConsumerStatus::Active) => return Ok(()),
                Some(ConsumerStatus::Deleting) => {
                    return Err(start_error(
                        "--efo",
                        format!("consumer {} is being deleted", self.consumer_name),
                    ));
                }
                _ if started.elapsed() > ACTIVE_WAIT => {
                    return Err(KinesisError {
                        kind: ErrorKind::Transient,
                        operation: "--efo",
                        message: format!(
                            "consumer {} was not ACTIVE after {} s",
                            self.consumer_name,
                            ACTIVE_WAIT.as_secs()
                        ),
                    });
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    pub fn consumer_arn(&self) -> &str {
        &self.consumer_arn
    }

    pub fn kinesis(&self) -> &Kinesis {
        &self.kinesis
    }

    /// Removes the stream consumer (`--efo-deregister`, on a clean exit).
    pub async fn deregister(&self) -> Result<(), KinesisError> {
        self.kinesis
            .client()
            .deregister_stream_consumer()
            .consumer_arn(&*self.consumer_arn)
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("DeregisterStreamConsumer", e))?;
        info!(consumer = %self.consumer_name, "deregistered the stream consumer");
        Ok(())
    }

    /// The token a reader starting at `start` passes to its first page.
    pub fn token(start: &StartAt) -> String {
        match start {
            StartAt::TrimHorizon => "efo:trim-horizon".into(),
            StartAt::Latest => "efo:latest".into(),
            StartAt::AtTimestamp(t) => format!("efo:at-timestamp:{}", t.timestamp_millis()),
            StartAt::After(seq) => format!("efo:after:{seq}"),
            StartAt::At(seq) => format!("efo:at:{seq}"),
        }
    }

    /// The reader's position a token names.
    fn start_at(token: &str) -> Result<StartAt, KinesisError> {
        let bad = || start_error("SubscribeToShard", format!("bad position token {token:?}"));
        let rest = token.strip_prefix("efo:").ok_or_else(bad)?;
        let (kind, value) = rest.split_once(':').unwrap_or((rest, ""));
        Ok(match kind {
            "trim-horizon" => StartAt::TrimHorizon,
            "latest" => StartAt::Latest,
            "after" => StartAt::After(value.to_string()),
            "at" => StartAt::At(value.to_string()),
            "at-timestamp" => StartAt::AtTimestamp(
                value
                    .parse()
                    .ok()
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        })
    }

    fn starting_position(token: &str) -> Result<StartingPosition, KinesisError> {
        let builder = StartingPosition::builder();
        let builder = match Self::start_at(token)? {
            StartAt::TrimHorizon => builder.r#type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => builder.r#type(ShardIteratorType::Latest),
            StartAt::After(sequence) => builder
                .r#type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(sequence),
            StartAt::At(sequence) => builder
                .r#type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(sequence),
            StartAt::AtTimestamp(t) => builder
                .r#type(ShardIteratorType::AtTimestamp)
                .timestamp(AwsDateTime::from_millis(t.timestamp_millis())),
        };
        builder
            .build()
            .map_err(|e| start_error("SubscribeToShard", e.to_string()))
    }

    async fn subscribe(&self, shard_id: &str, token: &str) -> Result<Subscription, KinesisError> {
        let position = Self::starting_position(token)?;
        debug!(shard = shard_id, token, "subscribing");
        let output = self
            .kinesis
            .client()
            .subscribe_to_shard()
            .consumer_arn(&*self.consumer_arn)
            .shard_id(shard_id)
            .starting_position(position)
            .send()
            .await
            .map_err(|e| {
                let busy = e.code().is_some_and(still_subscribed);
                let mut error = KinesisError::from_sdk("SubscribeToShard", e);
                if busy {
                    error.kind = ErrorKind::Throttled;
                }
                error
            })?;
        Ok(Subscription {
            token: token.to_string(),
            events: output.event_stream,
            checked: Instant::now(),
        })
    }

    /// Whether `shard_id` is closed and has nothing after `token`: one GetRecords call there,
    /// whose answer has no next iterator at a closed shard's end.
    ///
    /// *Why:* Kinesis ends a closed shard's subscription with an event naming the child shards,
    /// but an emulator may keep sending empty events instead (kinesis-mock 0.6 does), and the
    /// children are read only once their parents have ended. A caught-up, quiet subscription
    /// asks every [`END_CHECK`]; an answer that cannot be had (no GetRecords permission, say)
    /// counts as "not ended", and reading goes on.
    async fn read_to_end(&self, shard_id: &str, token: &str) -> bool {
        let Ok(start) = Self::start_at(token) else {
            return false;
        };
        let Ok(iterator) = self.kinesis.iterator(shard_id, &start).await else {
            return false;
        };
        match self.kinesis.get_records(shard_id, &iterator, 1).await {
            Ok(page) => page.records.is_empty() && page.next_iterator.is_none(),
            Err(e) => {
                debug!(shard = shard_id, error = %e, "cannot ask whether the shard has ended");
                false
            }
        }
    }

    fn keep(&self, shard_id: &str, subscription: Subscription) {
        if let Ok(mut open) = self.subscriptions.lock() {
            open.insert(shard_id.to_string(), subscription);
        }
    }

    /// The next page of `shard_id` at `token`: the subscription's next event.
    pub async fn next_page(
        &self,
        shard_id: &str,
        token: &str,
    ) -> Result<RecordsPage, KinesisError> {
        let open = self
            .subscriptions
            .lock()
            .ok()
            .and_then(|mut open| open.remove(shard_id))
            .filter(|s| s.token == token);
        let mut subscription = match open {
            Some(subscription) => subscription,
            None => self.subscribe(shard_id, token).await?,
        };
        let empty = |behind| RecordsPage {
            records: Vec::new(),
            next_iterator: Some(token.to_string()),
            millis_behind_latest: behind,
        };
        match tokio::time::timeout(EVENT_WAIT, subscription.events.recv()).await {
            // No event for a while: read as the shard's tip. The subscription is dropped and
            // the next page subscribes again from here, because a subscription may stay silent
            // once its shard is closed (kinesis-mock never sends the closing event on it), and
            // a new one at a closed shard's end answers with its child shards.
            Err(_) => Ok(empty(None)),
            Ok(Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(event)))) => {
                let shard: Arc<str> = Arc::from(shard_id);
                let records: Vec<_> =
                    records_body::from_sdk(event.records, &self.stream, &shard).collect();
                let mut ended = event.child_shards.as_ref().is_some_and(|c| !c.is_empty());
                if !ended
                    && records.is_empty()
                    && event.millis_behind_latest == 0
                    && subscription.checked.elapsed() >= END_CHECK
                {
                    subscription.checked = Instant::now();
                    ended = self.read_to_end(shard_id, token).await;
                }
                tracing::trace!(
                    shard = shard_id,
                    records = records.len(),
                    continuation = %event.continuation_sequence_number,
                    behind = event.millis_behind_latest,
                    ended,
                    "event"
                );
                let next_iterator = if ended {
                    None
                } else {
                    let next = match (event.continuation_sequence_number.as_str(), records.last()) {
                        ("", Some(last)) => format!("efo:after:{}", last.position.sequence_number),
                        ("", None) => token.to_string(),
                        (continuation, _) => format!("efo:after:{continuation}"),
                    };
                    subscription.token = next.clone();
                    self.keep(shard_id, subscription);
                    Some(next)
                };
                Ok(RecordsPage {
                    records,
                    next_iterator,
                    millis_behind_latest: Some(event.millis_behind_latest),
                })
            }
            Ok(Ok(Some(_))) => {
                self.keep(shard_id, subscription);
                Ok(empty(Some(1)))
            }
            // The subscription ended (they last five minutes): the next page subscribes again
            // from this position. Not known to be at the tip, so a drain reads on.
            Ok(Ok(None)) => Ok(empty(Some(1))),
            Ok(Err(e)) => {
                let code = e.code().map(str::to_string);
                let kind = match code.as_deref() {
                    Some(code) if still_subscribed(code) => ErrorKind::Throttled,
                    Some(code) => match super::errors::kind_of_code(code) {
                        // An unknown event-stream error ends the subscription; a new one
                        // resumes where this one stood.
                        ErrorKind::Other => ErrorKind::Transient,
                        kind => kind,
                    },
                    None => ErrorKind::Transient,
                };
                Err(KinesisError {
                    kind,
                    operation: "SubscribeToShard",
                    message: format!(
                        "{}: {}",
                        code.as_deref().unwrap_or("event stream"),
                        e.message().unwrap_or("the event stream failed")
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_names_are_checked_as_kinesis_does() {
        assert!(check_consumer_name("alarmlake-prod.v2_1").is_ok());
        for bad in ["", "has space", "slash/name", &"x".repeat(129)] {
            let error = check_consumer_name(bad).unwrap_err().to_string();
            assert!(error.contains("not a valid consumer name"), "{error}");
        }
    }

    #[test]
    fn every_start_becomes_a_token_and_back() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-03-09T14:00:12.250Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let cases = [
            (StartAt::TrimHorizon, ShardIteratorType::TrimHorizon, None),
            (StartAt::Latest, ShardIteratorType::Latest, None),
            (
                StartAt::After("4959".into()),
                ShardIteratorType::AfterSequenceNumber,
                Some("4959"),
            ),
            (
                StartAt::At("4960".into()),
                ShardIteratorType::AtSequenceNumber,
                Some("4960"),
            ),
            (
                StartAt::AtTimestamp(t),
                ShardIteratorType::AtTimestamp,
                None,
            ),
        ];
        for (start, kind, sequence) in cases {
            let position = FanOut::starting_position(&FanOut::token(&start)).unwrap();
            assert_eq!(position.r#type(), &kind);
            assert_eq!(position.sequence_number(), sequence);
        }
        let at = FanOut::starting_position(&FanOut::token(&StartAt::AtTimestamp(t))).unwrap();
        assert_eq!(
            at.timestamp().unwrap().to_millis().unwrap(),
            t.timestamp_millis()
        );
        assert!(FanOut::starting_position("AAAA-polling-iterator").is_err());
    }
}
