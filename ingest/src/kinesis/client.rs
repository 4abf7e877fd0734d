//! A thin wrapper over the Kinesis SDK: the calls a consumer makes, with records turned into
//! [`RawRecord`]s carrying their stream position, and errors classified.

use std::sync::Arc;
use std::time::Duration;

use alarmlake_aws::AwsAccess;
use alarmlake_aws::http_clients::{client_for_endpoint, https_client};
use alarmlake_schemas::RawRecord;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::StalledStreamProtectionConfig;
use aws_sdk_kinesis::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_kinesis::error::DisplayErrorContext;
use aws_sdk_kinesis::primitives::DateTime as AwsDateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use chrono::{DateTime, Utc};

use super::errors::{ErrorKind, KinesisError};
use super::records_body::{self, RecordsCall, RecordsInterceptor, RecordsSlot};

/// How to reach Kinesis.
#[derive(Debug, Clone, Default)]
pub struct KinesisOptions {
    /// An endpoint override (LocalStack, kinesis-mock); default: `AWS_ENDPOINT_URL` or AWS.
    pub endpoint_url: Option<String>,
    /// How long one attempt of a call may take before it counts as failed; default 30 s.
    pub attempt_timeout: Option<Duration>,
}

/// One shard as ListShards describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: String,
    /// The shard(s) it was split or merged from, which must be read to their end first.
    pub parents: Vec<String>,
}

/// What DescribeStreamSummary says about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    /// ACTIVE, CREATING, UPDATING or DELETING.
    pub status: String,
    pub open_shards: Option<i32>,
    pub retention_hours: Option<i32>,
}

/// Where a reader starts in a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    TrimHorizon,
    Latest,
    AtTimestamp(DateTime<Utc>),
    /// Just after this sequence number: resuming from a checkpoint.
    After(String),
    /// At this sequence number: going back to the first record whose late rows were held when
    /// a reader stopped without writing them (`alarmlake_transform::late_rows`).
    At(String),
}

impl std::str::FromStr for StartAt {
    type Err = String;

    /// `trim-horizon`, `latest` or `at-timestamp:RFC3339`, as `consume --start` takes them.
    fn from_str(text: &str) -> Result<StartAt, String> {
        match text {
            "trim-horizon" => Ok(StartAt::TrimHorizon),
            "latest" => Ok(StartAt::Latest),
            other => match other.strip_prefix("at-timestamp:") {
                Some(time) => DateTime::parse_from_rfc3339(time)
                    .map(|t| StartAt::AtTimestamp(t.with_timezone(&Utc)))
                    .map_err(|_| format!("{other:?}: the time is not RFC 3339")),
                None => Err(format!(
                    "{other:?}: use trim-horizon, latest or at-timestamp:RFC3339"
                )),
            },
        }
    }
}

/// One GetRecords answer.
#[derive(Debug)]
pub struct RecordsPage {
    pub records: Vec<RawRecord>,
    /// `None` once the shard is closed and read to its end (SHARD_END).
    pub next_iterator: Option<String>,
    pub millis_behind_latest: Option<i64>,
}

/// The Kinesis client's configuration from the loaded AWS configuration: its HTTP client
/// chosen by the endpoint (`AWS_ENDPOINT_URL` counts too: the loader has resolved it), and the
/// interceptor that takes GetRecords records as they arrive.
fn kinesis_config(sdk: &aws_config::SdkConfig) -> aws_sdk_kinesis::Config {
    aws_sdk_kinesis::config::Builder::from(sdk)
        .http_client(client_for_endpoint(sdk.endpoint_url()))
        .interceptor(RecordsInterceptor)
        .build()
}

#[derive(Debug, Clone)]
pub struct Kinesis {
    client: Client,
    /// The chain the client signs with, kept to load it once at start (see `credentials`).
    credentials: Option<SharedCredentialsProvider>,
    stream: Arc<str>,
}

impl Kinesis {
    /// A client for `stream`, signing with the process's one chain and region (`access`), as
    /// the lake's S3 store does.
    pub async fn connect(stream: &str, options: &KinesisOptions, access: &AwsAccess) -> Kinesis {
        let http = https_client();
        // A generous but bounded wait on every call.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(options.attempt_timeout.unwrap_or(Duration::from_secs(30)))
            .build();
        // No stalled-stream protection: it checks throughput on a 100 ms timer for as long as a
        // call waits, and a busy emulator keeps calls waiting for seconds, so every call in
        // flight woke the process ten times a second (on benchmark P3 a tenth of the consumer's
        // CPU, `benches/RESULTS.md`). Every call is bounded by the attempt timeout above, and a
        // GetRecords answer also by a stall deadline of its own (`records_body::STALL_TIMEOUT`)
        // that wakes nothing while bytes arrive.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .timeout_config(timeouts)
            .region(access.region().clone())
            .credentials_provider(access.credentials_provider());
        if let Some(endpoint) = &options.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        Kinesis {
            client: Client::from_conf(kinesis_config(&sdk)),
            credentials: sdk.credentials_provider(),
            stream: Arc::from(stream),
        }
    }

    /// This client making one attempt per call, each allowed `attempt_timeout`, with no
    /// retries inside the SDK: for a caller that retries by itself and must know of every
    /// attempt. *Why:* a PutRecords attempt that times out may still have stored its records,
    /// and a retry stores them again; only a caller that sees the failure can count the records
    /// that may now be in the stream twice. It shares this client's loaded configuration
    /// (credentials, region, endpoint, HTTP client), so nothing is loaded a second time.
    pub fn single_attempt(&self, attempt_timeout: Duration) -> Kinesis {
        let config = self.client.config();
        let timeouts = config
            .timeout_config()
            .map_or_else(TimeoutConfig::builder, TimeoutConfig::to_builder)
            .operation_attempt_timeout(attempt_timeout)
            .build();
        let config = config
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build();
        Kinesis {
            client: Client::from_conf(config),
            credentials: self.credentials.clone(),
            stream: Arc::clone(&self.stream),
        }
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Checks that credentials load and the stream exists, and describes it: a clear error at
    /// start instead of a retry loop.
    pub async fn check(&self) -> Result<StreamSummary, KinesisError> {
        self.credentials().await?;
        self.summary().await
    }

    /// Loads credentials once through the client's provider chain.
    ///
    /// *Why:* the SDK reports a chain that finds no credentials as a dispatch failure, which
    /// looks like a network error and is retried. Without credentials (no environment, no
    /// profile, no instance role) a consumer then logged the same warning forever instead of
    /// saying what is missing. A failure here, at start, is [`ErrorKind::Denied`]; later, a
    /// failed refresh (an instance role's endpoint that blips) stays a retried dispatch failure.
    async fn credentials(&self) -> Result<(), KinesisError> {
        let Some(provider) = &self.credentials else {
            return Ok(());
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            Err(e) => Err(KinesisError {
                kind: ErrorKind::Denied,
                operation: "loading AWS credentials",
                message: format!(
                    "{}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run \
                     with an instance or task role (an emulator accepts any key, such as test)",
                    DisplayErrorContext(&e)
                ),
            }),
        }
    }

    /// The stream's status, open shards and retention (DescribeStreamSummary).
    async fn summary(&self) -> Result<StreamSummary, KinesisError> {
        let answer = self
            .client
            .describe_stream_summary()
            .stream_name(self.stream.as_ref())
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("DescribeStreamSummary", e))?;
        let description = answer.stream_description_summary();
        Ok(StreamSummary {
            status: description
                .map(|d| d.stream_status().as_str().to_string())
                .unwrap_or_default(),
            open_shards: description.map(|d| d.open_shard_count()),
            retention_hours: description.map(|d| d.retention_period_hours()),
        })
    }

    /// Every shard of the stream (open and closed but not yet expired), following pagination.
    pub async fn list_shards(&self) -> Result<Vec<ShardInfo>, KinesisError> {
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match &token {
                // A paginated call names only the token.
                Some(token) => self.client.list_shards().next_token(token),
                None => self.client.list_shards().stream_name(self.stream.as_ref()),
            };
            let page = request
                .send()
                .await
                .map_err(|e| KinesisError::from_sdk("ListShards", e))?;
            for shard in page.shards() {
                let parents = [shard.parent_shard_id(), shard.adjacent_parent_shard_id()]
                    .into_iter()
                    .flatten()
                    .map(str::to_string)
                    .collect();
                shards.push(ShardInfo {
                    id: shard.shard_id().to_string(),
                    parents,
                });
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(shards),
            }
        }
    }

    /// A shard iterator at `start`.
    pub async fn iterator(&self, shard_id: &str, start: &StartAt) -> Result<String, KinesisError> {
        let mut request = self
            .client
            .get_shard_iterator()
            .stream_name(self.stream.as_ref())
            .shard_id(shard_id);
        request = match start {
            StartAt::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            StartAt::AtTimestamp(at) => request
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(AwsDateTime::from_millis(at.timestamp_millis())),
            StartAt::After(sequence) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence),
            StartAt::At(sequence) => request
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(sequence),
        };
        let answer = request
            .send()
            .await
            .map_err(|e| KinesisError::from_sdk("GetShardIterator", e))?;
        answer
            .shard_iterator()
            .map(str::to_string)
            .ok_or_else(|| KinesisError {
                kind: ErrorKind::Other,
                operation: "GetShardIterator",
                message: format!("no iterator returned for {shard_id}"),
            })
    }

    /// Up to `limit` records from `iterator`, as raw records of `shard_id`.
    pub async fn get_records(
        &self,
        shard_id: &str,
        iterator: &str,
        limit: i32,
    ) -> Result<RecordsPage, KinesisError> {
        let slot = RecordsSlot::default();
        let shard_id: Arc<str> = Arc::from(shard_id);
        let call = RecordsCall {
            slot: Arc::clone(&slot),
            stream: Arc::clone(&self.stream),
            shard_id: Arc::clone(&shard_id),
        };
        let send = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(limit)
            .send();
        let answer = call
            .run(send)
            .await
            .map_err(|e| KinesisError::from_sdk("GetRecords", e))?;
        let millis_behind_latest = answer.millis_behind_latest();
        let next_iterator = answer.next_shard_iterator().map(str::to_string);
        // The records taken while the body arrived come first; any the SDK read (from the
        // first one the splitter did not understand on) follow them, in the answer's order.
        let mut records = records_body::take(&slot).unwrap_or_default();
        if !answer.records.is_empty() {
            records.extend(records_body::from_sdk(
                answer.records,
                &self.stream,
                &shard_id,
            ));
        }
        Ok(RecordsPage {
            records,
            next_iterator,
            millis_behind_latest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::config::{Credentials, Region};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn start_positions_parse() {
        assert_eq!("trim-horizon".parse(), Ok(StartAt::TrimHorizon));
        assert_eq!("latest".parse(), Ok(StartAt::Latest));
        assert!(matches!(
            "at-timestamp:2024-03-01T00:00:00Z".parse(),
            Ok(StartAt::AtTimestamp(_))
        ));
        assert!("at-timestamp:yesterday".parse::<StartAt>().is_err());
        assert!("oldest".parse::<StartAt>().is_err());
    }

    /// A GetRecords answer with two records ("hi" and "yo").
    const ANSWER: &str = r#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1764547200.5,"Data":"aGk=","PartitionKey":"a"},{"SequenceNumber":"2","ApproximateArrivalTimestamp":1764547201.0,"Data":"eW8=","PartitionKey":"b"}],"NextShardIterator":"next","MillisBehindLatest":0}"#;

    /// Answers every request on 127.0.0.1 with `status` and `body`, one request per connection;
    /// returns the endpoint and the count of requests answered.
    fn serve(status: &'static str, body: &'static str) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut reader = BufReader::new(stream.unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                reader.read_exact(&mut vec![0; length]).unwrap();
                counted.fetch_add(1, Ordering::SeqCst);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let mut stream = reader.into_inner();
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body.as_bytes()).unwrap();
            }
        });
        (endpoint, requests)
    }

    /// Serves `ANSWER` on 127.0.0.1; returns the endpoint.
    fn serve_one_answer() -> String {
        serve("200 OK", ANSWER).0
    }

    fn client(endpoint: &str) -> Client {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "test",
            )))
            .http_client(https_client())
            .build();
        Client::from_conf(kinesis_config(&sdk))
    }

    fn data(records: &[RawRecord]) -> Vec<&[u8]> {
        records.iter().map(|r| r.data.as_slice()).collect()
    }

    #[tokio::test]
    async fn records_are_taken_as_they_arrive_only_inside_a_records_call() {
        // Inside a call: the client's interceptor takes both records, and the SDK gets none.
        let slot = RecordsSlot::default();
        let call = RecordsCall {
            slot: Arc::clone(&slot),
            stream: Arc::from("s"),
            shard_id: Arc::from("shardId-000000000000"),
        };
        let endpoint = serve_one_answer();
        let answer = call
            .run(client(&endpoint).get_records().shard_iterator("i").send())
            .await
            .unwrap();
        assert!(answer.records.is_empty(), "{:?}", answer.records);
        assert_eq!(answer.next_shard_iterator(), Some("next"));
        let taken = records_body::take(&slot).expect("the interceptor ran");
        assert_eq!(data(&taken), [b"hi", b"yo"]);
        assert_eq!(&*taken[1].position.shard_id, "shardId-000000000000");
        assert_eq!(taken[1].position.sequence_number, "2");

        // Outside one (any other caller of the client), the SDK reads the answer as it is.
        let endpoint = serve_one_answer();
        let answer = client(&endpoint)
            .get_records()
            .shard_iterator("i")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.records.len(), 2);
    }

    /// A failing call is tried again by the SDK on the consumer's client, and only once on the
    /// load generator's, whose sender counts each attempt itself.
    #[tokio::test]
    async fn a_single_attempt_client_makes_one_attempt_per_call() {
        let kinesis = |endpoint: &str| Kinesis {
            client: client(endpoint),
            credentials: None,
            stream: Arc::from("s"),
        };
        let (endpoint, requests) = serve("500 Internal Server Error", "{}");
        let retried = kinesis(&endpoint).client().list_shards().send().await;
        assert!(retried.is_err());
        assert!(requests.load(Ordering::SeqCst) > 1, "the SDK retried a 500");

        let (endpoint, requests) = serve("500 Internal Server Error", "{}");
        let single = kinesis(&endpoint).single_attempt(Duration::from_secs(5));
        assert!(single.client().list_shards().send().await.is_err());
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }
}
