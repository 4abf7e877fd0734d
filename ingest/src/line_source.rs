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
    let (stream, reader): (&str, Box<dyn Read>) = if path == "-" {
        ("stdin", Box::new(io::stdin().lock()))
    } else {
        let file = File::open(Path::new(path)).map_err(|source| ReadError::Open {
            path: path.to_string(),
            source,
        })?;
        ("file", Box::new(file))
    };
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

/// The read time, at the lake's microsecond precision, so that what `decode` prints is what a
/// Parquet file would hold.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
