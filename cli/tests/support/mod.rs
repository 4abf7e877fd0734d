//! Helpers shared by the integration tests: the tools and emulators `scripts/test.sh` provides,
//! running the binary, and lakes on the S3 emulator.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

pub mod exactly_once;
pub mod fault_proxy;
pub mod kinesis;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

/// A tool or emulator endpoint from the variable `scripts/test.sh` sets. Run on their own,
/// without it, tests say so and pass; under CI (`CI` set) a missing one is a failure.
pub fn tool(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{name} is not set: run the tests with scripts/test.sh")
        }
        _ => {
            eprintln!("skipped: {name} is not set (scripts/test.sh sets it)");
            None
        }
    }
}

/// The emulators' fixed credentials and region, whatever the developer's AWS set-up says.
pub fn credentials(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
}

/// Runs `command`, which must succeed; a failure shows the command and both outputs.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("command starts");
    assert!(
        output.status.success(),
        "{command:?} failed ({:?}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// [`run_ok`], and its standard output.
pub fn stdout_of(command: &mut Command) -> String {
    String::from_utf8_lossy(&run_ok(command).stdout).into_owned()
}

/// `alarmlake sql --format csv` of one statement over `lake`, to run as the test needs.
/// Every row's stream position in every table that keeps one.
pub const POSITIONS_SQL: &str = "SELECT shard_id, sequence_number FROM alarm_events \
    UNION ALL SELECT shard_id, sequence_number FROM mode_events \
    UNION ALL SELECT shard_id, sequence_number FROM camera_media \
    UNION ALL SELECT shard_id, sequence_number FROM dead_letters";

/// The (shard, sequence number) pairs of [`POSITIONS_SQL`]'s CSV answer, with how often each
/// appears.
pub fn count_positions(csv: &[u8]) -> std::collections::BTreeMap<(String, String), usize> {
    let mut positions = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(csv).lines().skip(1) {
        let (shard, sequence) = line.split_once(',').unwrap();
        *positions
            .entry((shard.to_string(), sequence.to_string()))
            .or_insert(0) += 1;
    }
    positions
}

pub fn sql_csv(lake: &Path, sql: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    command.args([
        "sql",
        "--lake",
        lake.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        sql,
    ]);
    command
}

/// Every Parquet file under `dir` (a lake or a part of one), sorted; `_alarmlake/` is not
/// searched.
pub fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("_alarmlake") && !path.ends_with("_delta_log") {
                    folders.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "parquet") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The data files the latest version of every Delta table under `lake` references, found by
/// replaying each table's `_delta_log/*.json` commits in order (an independent reader of the
/// log: a later remove cancels an earlier add). Sorted paths.
pub fn committed_files(lake: &Path) -> Vec<std::path::PathBuf> {
    let mut files = BTreeSet::new();
    for table in std::fs::read_dir(lake).unwrap() {
        let table = table.unwrap().path();
        let Ok(entries) = std::fs::read_dir(table.join("_delta_log")) else {
            continue;
        };
        let mut commits: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        commits.sort();
        for commit in commits {
            for line in std::fs::read_to_string(&commit).unwrap().lines() {
                let action: serde_json::Value = serde_json::from_str(line).unwrap();
                for (kind, added) in [("add", true), ("remove", false)] {
                    if let Some(path) = action[kind]["path"].as_str() {
                        let file = table.join(percent_decode(path));
                        if added {
                            files.insert(file);
                        } else {
                            files.remove(&file);
                        }
                    }
                }
            }
        }
    }
    files.into_iter().collect()
}

/// `%XX` escapes decoded, as the Delta protocol's paths are URIs.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// Random moments for a kill test: a xorshift generator seeded from the clock, its seed printed
/// so that a failing schedule can be told apart.
pub fn kill_schedule() -> impl FnMut() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    eprintln!("kill schedule seed {seed}");
    let mut random = seed | 1;
    move || {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    }
}

/// A plain HTTP GET on 127.0.0.1 (the metrics endpoint); the whole answer, head and body.
pub fn http_get(address: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// `scripts/lake_check.py`: DuckDB over a lake, and S3 chores against the emulator.
pub fn lake_check() -> String {
    format!("{}/../scripts/lake_check.py", env!("CARGO_MANIFEST_DIR"))
}

/// A bucket on the S3 emulator for a test's lake (at `lake/`), created and read back with
/// `scripts/lake_check.py`. `None` (skip) outside the test script, a failure in CI.
pub struct S3Lake {
    pub endpoint: String,
    python: String,
    bucket: String,
}

impl S3Lake {
    pub fn create(name: &str) -> Option<S3Lake> {
        let endpoint = tool("ALARMLAKE_TEST_S3_ENDPOINT")?;
        let python = tool("ALARMLAKE_TEST_PYTHON")?;
        let lake = S3Lake {
            endpoint,
            python,
            bucket: unique(name).to_lowercase(),
        };
        lake.helper("create-bucket", &[]);
        Some(lake)
    }

    pub fn url(&self) -> String {
        format!("s3://{}/lake", self.bucket)
    }

    /// Replaces `local` with a copy of the lake.
    pub fn download(&self, local: &Path) {
        let _ = std::fs::remove_dir_all(local);
        self.helper("download", &["lake/", local.to_str().unwrap()]);
    }

    /// Writes `text` at `relative` (to the lake root).
    pub fn put(&self, relative: &str, text: &str) {
        self.helper("put", &[&format!("lake/{relative}"), text]);
    }

    /// Every key in the lake, relative to its root.
    pub fn keys(&self) -> BTreeSet<String> {
        self.helper("keys", &["lake/"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `lake_check.py COMMAND ENDPOINT BUCKET ARGS...`
    fn helper(&self, command: &str, args: &[&str]) -> String {
        stdout_of(
            Command::new(&self.python)
                .arg(lake_check())
                .arg(command)
                .args([&self.endpoint, &self.bucket])
                .args(args),
        )
    }
}

/// A child process killed when dropped, so that a test that fails while a consumer runs does
/// not leave it running (holding the test's output pipe open, which would hang the run).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
