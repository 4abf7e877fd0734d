//! Lakes for the integration tests, written by the real generator, decoders and writer.

use std::sync::Arc;
use std::time::Instant;

use alarmlake_loadtest::generator::{Format, GeneratorConfig, write_all};
use alarmlake_query::LakeSession;
use alarmlake_schemas::{Decoder, RawRecord, RecordPosition, Tally};
use alarmlake_transform::{Lake, LakeWriter, WriterConfig};
use chrono::{DateTime, Utc};
use datafusion::physical_plan::ExecutionPlan;

/// The generator's lines (mixed format) for `homes` homes over `days` days from `start`.
pub fn generated_lines(homes: usize, days: u32, seed: u64, start: DateTime<Utc>) -> String {
    let config = GeneratorConfig {
        homes,
        days,
        seed,
        format: Format::Mixed,
        start,
    };
    let mut text = Vec::new();
    write_all(&config, &mut text).unwrap();
    String::from_utf8(text).unwrap()
}

/// Decodes `lines`, numbered by their index in the generated file, and writes them to the lake
/// as one writer flush; returns what the decoders made of them.
pub async fn write_flush<'a>(
    lake: &Lake,
    lines: impl Iterator<Item = (usize, &'a str)>,
    start: DateTime<Utc>,
) -> Tally {
    let decoder = Decoder::default();
    let mut writer = LakeWriter::new(WriterConfig::default());
    let mut tally = Tally::default();
    let now = Instant::now();
    for (n, line) in lines {
        let record = RawRecord {
            data: line.as_bytes().to_vec(),
            position: RecordPosition::line("file", "gen", n as u64 + 1, start),
        };
        let outcomes = decoder.decode(&record);
        outcomes.iter().for_each(|o| tally.add(o));
        writer.append(&record.position, record.data.len(), &outcomes, now);
    }
    lake.write(&writer.take_all().unwrap()).await.unwrap();
    tally
}

/// The physical plan of `sql` in the lake session.
pub async fn plan(session: &LakeSession, sql: &str) -> Arc<dyn ExecutionPlan> {
    session
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap()
}
