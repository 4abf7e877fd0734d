//! Files for tests of the crates above this one: real decoder output, encoded by the real
//! writer, so that tests of the log, the readers and maintenance commit real Parquet.

use std::time::Instant;

use alarmlake_schemas::{Decoder, RawRecord, RecordPosition};
use chrono::{DateTime, Utc};

use crate::writer::{LakeWriter, PreparedFile, WriterConfig};

/// `count` expander dicts of one home in hour `hour` of 2024-01-02, from line `first` of a
/// file; and, with `garbage`, as many undecodable lines (dead letters) after them.
pub fn expander_files(hour: u32, first: u64, count: u64, garbage: bool) -> Vec<PreparedFile> {
    let arrival = DateTime::parse_from_rfc3339("2024-01-02T23:59:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let decoder = Decoder::default();
    let mut writer = LakeWriter::new(WriterConfig::default());
    let lines = (first..first + count).map(|line| {
        let json = format!(
            r#"{{"address": 7, "channel": 1, "time": "2024-01-02T{hour:02}:{:02}:00", "value": 1}}"#,
            line % 60
        );
        (line, json)
    });
    let junk = (first + count..first + 2 * count)
        .filter(|_| garbage)
        .map(|line| (line, format!("{{\"panel\": broken {line}")));
    for (line, text) in lines.chain(junk) {
        let mut position = RecordPosition::line("file", "fixture.ndjson", line, arrival);
        position.partition_key = Some("home-1".into());
        let record = RawRecord {
            data: text.into_bytes(),
            position,
        };
        let outcomes = decoder.decode(&record);
        writer.append(
            &record.position,
            record.data.len(),
            &outcomes,
            Instant::now(),
        );
    }
    writer.take_all().unwrap_or_default()
}
