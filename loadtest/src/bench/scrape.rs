//! Reading the consumer's Prometheus endpoint during a benchmark.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What one scrape of `/metrics` says, summed over shards.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scrape {
    pub records: u64,
    pub events: u64,
    pub rejected: u64,
    /// The largest MillisBehindLatest over shards; -1 before the first answer.
    pub max_behind_ms: i64,
}

/// GETs `path` from `address` (HTTP/1.1 on 127.0.0.1); the body, if the answer is 200.
pub fn get(address: &str, path: &str) -> Option<String> {
    let mut socket = TcpStream::connect(address).ok()?;
    socket.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// Sums the per-shard counters of a Prometheus text page.
pub fn parse(text: &str) -> Scrape {
    let mut scrape = Scrape {
        max_behind_ms: -1,
        ..Scrape::default()
    };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let metric = name.split('{').next().unwrap_or(name);
        let value: f64 = value.parse().unwrap_or(0.0);
        match metric {
            "alarmlake_records_total" => scrape.records += value as u64,
            "alarmlake_events_total" => scrape.events += value as u64,
            "alarmlake_rejected_total" => scrape.rejected += value as u64,
            "alarmlake_max_millis_behind_latest" => scrape.max_behind_ms = value as i64,
            _ => {}
        }
    }
    scrape
}

/// Scrapes `/metrics` at `address`.
pub fn scrape(address: &str) -> Option<Scrape> {
    get(address, "/metrics").map(|body| parse(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_summed_over_shards() {
        let text = "# HELP alarmlake_records_total x\nalarmlake_records_total{shard=\"a\"} 10\nalarmlake_records_total{shard=\"b\"} 5\nalarmlake_events_total{shard=\"a\"} 12\nalarmlake_max_millis_behind_latest 1200\n";
        let scrape = parse(text);
        assert_eq!(
            (scrape.records, scrape.events, scrape.max_behind_ms),
            (15, 12, 1200)
        );
        assert_eq!(parse("").max_behind_ms, -1);
    }
}
