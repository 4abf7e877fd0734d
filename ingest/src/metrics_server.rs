//! A minimal HTTP endpoint for Prometheus: `GET /metrics` and `GET /healthz`. One request per
//! connection, no keep-alive: a scraper's needs, without a web framework in the build. A client
//! that sends no complete request within [`READ_TIMEOUT`] is disconnected, so silent
//! connections cannot pile up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info};

use crate::metrics::Metrics;

/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds `addr` (so a bad address fails at start) and returns the bound address and the task
/// serving it until `stop` becomes true.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    info!(%bound, "metrics on http://{bound}/metrics");
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((socket, peer)) = accepted else { continue };
                    let metrics = metrics.clone();
                    tokio::spawn(async move {
                        if let Err(e) = answer(socket, &metrics).await {
                            debug!(%peer, error = %e, "metrics request failed");
                        }
                    });
                }
                _ = stop.changed() => return,
            }
        }
    });
    Ok((bound, task))
}

async fn answer(mut socket: tokio::net::TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut request = vec![0u8; 2048];
    let read = tokio::time::timeout(READ_TIMEOUT, read_head(&mut socket, &mut request))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no request"))??;
    let head = String::from_utf8_lossy(&request[..read]);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        ("GET", "/healthz") => match metrics.healthz() {
            Ok(()) => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
            Err(reason) => (
                "503 Service Unavailable",
                "text/plain; charset=utf-8",
                format!("{reason}\n"),
            ),
        },
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n".to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

/// Reads the request line and headers into `request`; the body (there is none for GET) is
/// ignored. Returns the bytes read.
async fn read_head(
    socket: &mut tokio::net::TcpStream,
    request: &mut [u8],
) -> std::io::Result<usize> {
    let mut read = 0;
    while read < request.len() {
        let n = socket.read(&mut request[read..]).await?;
        if n == 0 {
            break;
        }
        read += n;
        if request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut socket = std::net::TcpStream::connect(addr).unwrap();
        write!(socket, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        answer
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_client_is_disconnected_and_blocks_no_scrape() {
        let (_stop_sender, stop) = watch::channel(false);
        let metrics = Arc::new(Metrics::default());
        let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), metrics, stop)
            .await
            .unwrap();
        let silent = std::thread::spawn(move || {
            let mut socket = std::net::TcpStream::connect(addr).unwrap();
            socket.set_read_timeout(Some(READ_TIMEOUT * 3)).unwrap();
            let started = std::time::Instant::now();
            // The server closes the connection: the read ends with 0 bytes, not a timeout.
            let n = socket.read(&mut [0u8; 16]).unwrap();
            (n, started.elapsed())
        });
        let scrape = tokio::task::spawn_blocking(move || get(addr, "/metrics"))
            .await
            .unwrap();
        assert!(scrape.starts_with("HTTP/1.1 200 OK"), "{scrape}");
        assert!(
            scrape.contains("alarmlake_max_millis_behind_latest -1"),
            "{scrape}"
        );
        let health = tokio::task::spawn_blocking(move || get(addr, "/healthz"))
            .await
            .unwrap();
        assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
        let (n, waited) = tokio::task::spawn_blocking(move || silent.join().unwrap())
            .await
            .unwrap();
        assert_eq!(n, 0);
        assert!(waited < READ_TIMEOUT * 2, "closed after {waited:?}");
    }
}
