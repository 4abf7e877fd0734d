//! Reading records from files and stdin: one record per line, or one per file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use alarmlake_schemas::{RawRecord, RecordPosition};
use chrono::{DateTime, SubsecRound, Utc};

/// A file or stdin that could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
}

/// Calls `each` with every record of `path` (`-` is stdin). Lines are read as bytes, so input
/// that is not UTF-8 reaches the decoder (and the dead letters) instead of stopping the read.
pub fn for_each_record<E: From<ReadError>>(
    path: &str,
    whole_file: bool,
    mut each: impl FnMut(RawRecord) -> Result<(), E>,
) -> Result<(), E> {
    let read_error = |source| ReadError::Read {
        path: path.to_string(),
        source,
    };
    let (stream, reader): (String, Box<dyn Read>) = if path == "-" {
        (run_identity("stdin"), Box::new(io::stdin().lock()))
    } else {
        let file = File::open(Path::new(path)).map_err(|source| ReadError::Open {
            path: path.to_string(),
            source,
        })?;
        (file_identity(&file), Box::new(file))
    };
    let stream = stream.as_str();
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    if whole_file {
        let mut data = Vec::new();
        reader.read_to_end(&mut data).map_err(read_error)?;
        return each(RawRecord {
            data,
            position: RecordPosition::line(stream, path, 1, now()),
        });
    }
    let mut line = Vec::new();
    let mut number = 0u64;
    // The read time is taken once per thousand lines: it says when a line was read, to well
    // within a second, without a clock call per line.
    let mut read_time = now();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(read_error)?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        if number.is_multiple_of(1024) {
            read_time = now();
        }
        let position = RecordPosition::line(stream, path, number, read_time);
        // A copy of exactly the line's length; the read buffer keeps its capacity for the next.
        each(RawRecord {
            data: line.clone(),
            position,
        })?;
    }
}

/// How much of each end of a file goes into its identity.
const EDGE_BYTES: u64 = 64 * 1024;

/// The `stream` of a file's records: `file:<size>-<hash>`, the hash over its first and last
/// 64 KiB. It tells apart inputs with the same name (two `data.log` in different folders, a log
/// rotated in place), so their lake files, named after the stream and the line, never replace
/// each other; and it is the same for the same bytes, so ingesting one file twice replaces its
/// files instead of doubling its rows. Reading the two ends costs two reads, not a pass over the
/// file. A pipe or device has no size to go by: it gets a per-run identity, as stdin does.
fn file_identity(file: &File) -> String {
    use md5::{Digest, Md5};
    use std::os::unix::fs::FileExt;
    let Some(metadata) = file.metadata().ok().filter(|m| m.is_file()) else {
        return run_identity("file");
    };
    let size = metadata.len();
    let mut hasher = Md5::new();
    let mut edge = vec![0u8; EDGE_BYTES.min(size) as usize];
    for offset in [0, size.saturating_sub(EDGE_BYTES)] {
        if file.read_exact_at(&mut edge, offset).is_err() {
            return run_identity("file");
        }
        hasher.update(&edge);
    }
    let hash: String = hasher.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("file:{size}-{hash}")
}

/// An identity of this run's input (`stdin:<start ms>-<pid>`): two different inputs piped in
/// one after the other never share file names. Ingesting the same stdin twice therefore keeps
/// both copies; name the file instead to make a re-run idempotent.
fn run_identity(kind: &str) -> String {
    format!(
        "{kind}:{}-{}",
        Utc::now().timestamp_millis(),
        std::process::id()
    )
}

/// The read time, at the lake's microsecond precision, so that what `decode` prints is what a
/// Parquet file would hold.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
