//! The generator as a record source: its lines pushed one by one as [`RawRecord`]s into a
//! pipeline (the demo's), with generation on a thread of its own, until the homes are done or
//! a deadline passes.

use std::sync::mpsc::sync_channel;
use std::time::Instant;

use alarmlake_schemas::{RawRecord, RecordPosition};
use chrono::{DateTime, Utc};

use super::{Generator, GeneratorConfig};

/// Generated text handed from the generator thread to the pusher, in chunks of about this size.
const CHUNK_BYTES: usize = 1 << 20;

/// How far a feed got.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fed {
    pub lines: u64,
    /// The simulated time reached when the deadline passed; `None` if it ran to the end.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Pushes every line of `config`'s homes as a record of source `demo`/`generator` (numbered
/// lines, read now), until the homes are done or `deadline` passes. A push error stops the
/// generator and is returned.
pub fn feed<E>(
    config: &GeneratorConfig,
    deadline: Instant,
    push: &mut dyn FnMut(RawRecord) -> Result<(), E>,
) -> Result<Fed, E> {
    let (chunks, received) = sync_channel::<String>(4);
    std::thread::scope(|scope| {
        let generator = scope.spawn(move || {
            let mut generator = Generator::new(config);
            loop {
                if Instant::now() >= deadline {
                    return generator.clock();
                }
                let mut chunk = String::with_capacity(CHUNK_BYTES + 4096);
                while chunk.len() < CHUNK_BYTES && generator.next_lines(&mut chunk) > 0 {}
                if chunk.is_empty() || chunks.send(chunk).is_err() {
                    return generator.clock();
                }
            }
        });
        let mut lines = 0u64;
        let pushed = (|| {
            for chunk in &received {
                let read_time = Utc::now();
                for line in chunk.as_bytes().split(|b| *b == b'\n') {
                    if line.is_empty() {
                        continue;
                    }
                    lines += 1;
                    push(RawRecord {
                        data: line.to_vec(),
                        position: RecordPosition::line("demo", "generator", lines, read_time),
                    })?;
                }
            }
            Ok(())
        })();
        // Stop the generator if pushing failed, then wait for it.
        drop(received);
        let stopped_at = generator
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        pushed.map(|()| Fed { lines, stopped_at })
    })
}
