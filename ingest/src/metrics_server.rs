//! A minimal HTTP endpoint for Prometheus: `GET /metrics` and `GET /healthz`. One request per
//! connection, no keep-alive: a scraper's needs, without a web framework in the build.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info};

use crate::metrics::Metrics;

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
    let mut read = 0;
    // The request line and headers; the body (there is none for GET) is ignored.
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
    let head = String::from_utf8_lossy(&request[..read]);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        ("GET", "/healthz") => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_string()),
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
