//! `alarmlake consume --source tcp://...`: raw AlarmDecoder lines from a ser2sock server,
//! through a dropped connection and a reconnect, into the lake, counted in the summary and on
//! the metrics endpoint.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{http_get, sql_csv};

fn count_rows(lake: &std::path::Path) -> usize {
    if !lake.join("alarm_events").exists() {
        return 0;
    }
    let output = sql_csv(
        lake,
        "SELECT count(*) AS n, count(DISTINCT shard_id) AS connections FROM alarm_events",
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn ser2sock_lines_survive_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let generated = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args(["generate", "--homes", "1", "--days", "1", "--format", "raw"])
        .output()
        .unwrap();
    let text = String::from_utf8(generated.stdout).unwrap();
    let lines: Vec<&str> = text.lines().take(800).collect();
    let (first, second) = lines.split_at(500);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let first: Vec<String> = first.iter().map(|l| format!("{l}\r\n")).collect();
    let second: Vec<String> = second.iter().map(|l| format!("{l}\r\n")).collect();
    let server = std::thread::spawn(move || {
        // The first connection sends 500 lines and drops; the second sends the rest and stays.
        let (mut socket, _) = listener.accept().unwrap();
        socket.write_all(first.concat().as_bytes()).unwrap();
        drop(socket);
        let (mut socket, _) = listener.accept().unwrap();
        socket.write_all(second.concat().as_bytes()).unwrap();
        std::thread::sleep(Duration::from_secs(30));
    });

    let lake = dir.path().join("lake");
    let metrics = {
        let free = TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().to_string()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .args([
            "consume",
            "--source",
            &format!("tcp://{address}"),
            "--lake",
            lake.to_str().unwrap(),
            "--max-age-secs",
            "1",
            "--metrics-addr",
            &metrics,
        ])
        .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_rows(&lake) < 800 {
        assert!(
            Instant::now() < deadline,
            "only {} rows: {}",
            count_rows(&lake),
            std::fs::read_to_string(dir.path().join("log")).unwrap()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let page = http_get(&metrics, "/metrics");
    let counter = |name: &str| {
        page.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_string)
    };
    assert_eq!(
        counter("alarmlake_records_total{").as_deref(),
        Some("800"),
        "{page}"
    );
    assert_eq!(
        counter("alarmlake_events_total{").as_deref(),
        Some("800"),
        "{page}"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(count_rows(&lake), 800, "nothing doubled");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(
        log.contains("read 800 lines over 2 connections: 800 events, 0 rejected, 0 chatter"),
        "{log}"
    );
    drop(server);
}
