//! The HTTP endpoint for Prometheus and orchestrators: `GET /metrics` and `GET /healthz`, served
//! by hyper's HTTP/1 server (already in the build through the AWS SDK). A client that sends no
//! complete request head within [`READ_TIMEOUT`] is disconnected, so silent connections cannot
//! pile up; a scraper's keep-alive connection is reused.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info};

use super::Metrics;
use super::exposition;

/// How long a client may take to send a request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What every connection answers from.
struct Endpoint {
    metrics: Arc<Metrics>,
    registry: Registry,
}

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
    let endpoint = Arc::new(Endpoint {
        registry: exposition::registry(metrics.clone()),
        metrics,
    });
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((socket, peer)) = accepted else { continue };
                    let endpoint = endpoint.clone();
                    tokio::spawn(async move {
                        let service = service_fn(|request| {
                            let answer = answer(&endpoint, &request);
                            async move { Ok::<_, Infallible>(answer) }
                        });
                        let connection = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(READ_TIMEOUT)
                            .serve_connection(TokioIo::new(socket), service);
                        if let Err(e) = connection.await {
                            debug!(%peer, error = %e, "metrics connection ended");
                        }
                    });
                }
                _ = stop.changed() => return,
            }
        }
    });
    Ok((bound, task))
}

fn answer(endpoint: &Endpoint, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let plain = "text/plain; charset=utf-8";
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            exposition::CONTENT_TYPE,
            exposition::render(&endpoint.registry),
        ),
        (&Method::GET, "/healthz") => match endpoint.metrics.healthz() {
            Ok(()) => (StatusCode::OK, plain, "ok\n".to_string()),
            Err(reason) => (
                StatusCode::SERVICE_UNAVAILABLE,
                plain,
                format!("{reason}\n"),
            ),
        },
        (&Method::GET, _) => (
            StatusCode::NOT_FOUND,
            plain,
            "not found: /metrics or /healthz\n".into(),
        ),
        _ => (StatusCode::METHOD_NOT_ALLOWED, plain, "GET only\n".into()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};

    use super::*;

    fn request(addr: SocketAddr, head: &str) -> String {
        let mut socket = std::net::TcpStream::connect(addr).unwrap();
        socket.write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).unwrap();
        answer
    }

    fn get(addr: SocketAddr, path: &str) -> String {
        request(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
    }

    /// Reads one response (head and a Content-Length body) from a kept-alive connection.
    fn read_response(reader: &mut BufReader<std::net::TcpStream>) -> (String, String) {
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
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
            // The server closes the connection: the read ends, not the client's timeout.
            let mut rest = Vec::new();
            let ended = socket.read_to_end(&mut rest).is_ok();
            (ended, started.elapsed())
        });
        let scrape = tokio::task::spawn_blocking(move || get(addr, "/metrics"))
            .await
            .unwrap();
        assert!(scrape.starts_with("HTTP/1.1 200 OK"), "{scrape}");
        assert!(
            scrape.contains("content-type: text/plain; version=0.0.4"),
            "{scrape}"
        );
        assert!(
            scrape.contains("\nalarmlake_max_millis_behind_latest -1\n"),
            "{scrape}"
        );
        let health = tokio::task::spawn_blocking(move || get(addr, "/healthz"))
            .await
            .unwrap();
        assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
        assert!(health.ends_with("\r\n\r\nok\n"), "{health}");
        let (ended, waited) = tokio::task::spawn_blocking(move || silent.join().unwrap())
            .await
            .unwrap();
        assert!(ended, "the silent connection was not closed by the server");
        assert!(waited < READ_TIMEOUT * 2, "closed after {waited:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scraper_keeps_its_connection_and_other_paths_are_refused() {
        let (_stop_sender, stop) = watch::channel(false);
        let metrics = Arc::new(Metrics::default());
        metrics
            .shard("shardId-000000000007")
            .records
            .fetch_add(3, std::sync::atomic::Ordering::Relaxed);
        let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), metrics, stop)
            .await
            .unwrap();
        tokio::task::spawn_blocking(move || {
            let socket = std::net::TcpStream::connect(addr).unwrap();
            let mut writer = socket.try_clone().unwrap();
            let mut reader = BufReader::new(socket);
            for _ in 0..2 {
                writer
                    .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let (status, body) = read_response(&mut reader);
                assert!(status.starts_with("HTTP/1.1 200"), "{status}");
                assert!(
                    body.contains("alarmlake_records_total{shard=\"shardId-000000000007\"} 3\n"),
                    "{body}"
                );
            }
            let missing = get(addr, "/metrics/x");
            assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
            let posted = request(
                addr,
                "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            assert!(posted.starts_with("HTTP/1.1 405"), "{posted}");
        })
        .await
        .unwrap();
    }
}
