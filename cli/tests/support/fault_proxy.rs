//! An HTTP proxy for tests that stands between the consumer and an emulator and injects the
//! faults real AWS produces: throttling, 5xx answers, dropped connections and slow answers.
//! Each connection carries one request (the proxy answers with `Connection: close`), which
//! keeps the forwarding simple and is still plain HTTP/1.1 to the client.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to the n-th request (counting from 1) that a rule matches.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Answer with this status and body instead of forwarding.
    Answer(u16, &'static str, &'static str),
    /// Close the connection without answering.
    Drop,
    /// Forward, but only after this long.
    Delay(Duration),
    /// Forward, let the upstream answer, then close the connection without passing the answer
    /// on: the call took effect, and the caller cannot know it did.
    LoseAnswer,
    /// Forward without this header (lower case): a store or proxy that ignores it.
    StripHeader(&'static str),
}

/// Requests whose head contains `needle` get `fault` on every `every`-th occurrence.
#[derive(Clone, Debug)]
pub struct Rule {
    pub needle: &'static str,
    pub every: u64,
    pub fault: Fault,
}

#[derive(Default, Debug)]
pub struct Counts {
    pub requests: AtomicU64,
    pub faults: AtomicU64,
}

pub struct FaultProxy {
    pub url: String,
    pub counts: Arc<Counts>,
    /// Requests each rule's needle matched, by rule (a rule with `every: u64::MAX` only counts).
    pub matched: Arc<Vec<AtomicU64>>,
    /// While set, every connection is closed without an answer: a store that is down.
    down: Arc<AtomicBool>,
    /// A rule switched on mid-run, tried before the others (a permission revoked, say).
    switched: Arc<Mutex<Option<Rule>>>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream` (host:port).
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let counts = Arc::new(Counts::default());
        let seen: Arc<Vec<AtomicU64>> = Arc::new(rules.iter().map(|_| AtomicU64::new(0)).collect());
        let matched = Arc::clone(&seen);
        let down = Arc::new(AtomicBool::new(false));
        let task_down = Arc::clone(&down);
        let switched: Arc<Mutex<Option<Rule>>> = Arc::default();
        let task_switched = Arc::clone(&switched);
        let rules = Arc::new(rules);
        let upstream = upstream.to_string();
        let task_counts = counts.clone();
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (rules, seen, counts, upstream) = (
                    rules.clone(),
                    seen.clone(),
                    task_counts.clone(),
                    upstream.clone(),
                );
                let switched = task_switched.lock().unwrap().clone();
                if task_down.load(Relaxed) {
                    drop(client);
                    continue;
                }
                tokio::spawn(async move {
                    let _ = handle(client, &upstream, switched, &rules, &seen, &counts).await;
                });
            }
        });
        FaultProxy {
            url,
            counts,
            matched,
            down,
            switched,
            _runtime: runtime,
        }
    }
}

impl FaultProxy {
    /// Takes the upstream down (every connection closed at once) or back up.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Relaxed);
    }

    /// Switches `rule` on, ahead of the rules the proxy started with, for every request it
    /// matches from now on (give it `every: 1`); `None` switches it off.
    pub fn switch(&self, rule: Option<Rule>) {
        *self.switched.lock().unwrap() = rule;
    }
}

/// Reads one request: its head (through the blank line) and a Content-Length body.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Ok(None);
        }
        data.extend_from_slice(&buffer[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buffer[..n]);
    }
    Ok(Some(data))
}

/// The request with `Connection: close`, so the upstream ends its answer by closing, and
/// without the header `strip` names.
fn with_close(request: &[u8], strip: Option<&str>) -> Vec<u8> {
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |at| at + 2);
    let head = String::from_utf8_lossy(&request[..head_end]);
    let mut out: String = head
        .split("\r\n")
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            !l.is_empty()
                && !lower.starts_with("connection:")
                && strip.is_none_or(|name| !lower.starts_with(&format!("{name}:")))
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request[(head_end + 2).min(request.len())..]);
    bytes
}

async fn handle(
    mut client: TcpStream,
    upstream: &str,
    switched: Option<Rule>,
    rules: &[Rule],
    seen: &[AtomicU64],
    counts: &Counts,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    counts.requests.fetch_add(1, Relaxed);
    let head = String::from_utf8_lossy(&request[..request.len().min(4096)]).into_owned();
    let mut delay = None;
    let mut lose_answer = false;
    let mut strip = None;
    let switched_seen = AtomicU64::new(0);
    let switched = switched.iter().map(|rule| (rule, &switched_seen));
    for (rule, seen) in switched.chain(rules.iter().zip(seen)) {
        if !head.contains(rule.needle) {
            continue;
        }
        let n = seen.fetch_add(1, Relaxed) + 1;
        if n % rule.every != 0 {
            continue;
        }
        counts.faults.fetch_add(1, Relaxed);
        match rule.fault {
            Fault::Answer(status, content_type, body) => {
                let answer = format!(
                    "HTTP/1.1 {status} Injected\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                client.write_all(answer.as_bytes()).await?;
                return client.shutdown().await;
            }
            Fault::Drop => return Ok(()),
            Fault::Delay(d) => delay = Some(d),
            Fault::LoseAnswer => lose_answer = true,
            Fault::StripHeader(name) => strip = Some(name),
        }
        break;
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&with_close(&request, strip)).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    if lose_answer {
        return Ok(());
    }
    client.write_all(&answer).await?;
    client.shutdown().await
}
