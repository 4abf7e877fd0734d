//! The event generator: realistic AlarmDecoder, MODE and camera lines from a model of each
//! home (see [`home`]), merged across homes in time order. The same seed gives the same lines.

mod clock;
mod feed;
pub mod home;
mod render;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};

pub use self::feed::{Fed, feed};
use self::home::{Home, Streams};

/// What the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AlarmDecoder messages as the relay's JSON dicts (with a `site` field per home).
    Json,
    /// AlarmDecoder messages as raw serial lines.
    Raw,
    /// MODE events and camera upload notifications.
    Mode,
    /// Everything: JSON dicts, MODE events and camera notifications.
    Mixed,
}

#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    pub homes: usize,
    pub days: u32,
    pub seed: u64,
    pub format: Format,
    pub start: DateTime<Utc>,
}

/// Lines of all homes in time order.
pub struct Generator {
    homes: Vec<Home>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
}

impl Generator {
    pub fn new(config: &GeneratorConfig) -> Generator {
        let streams = match config.format {
            Format::Json => Streams {
                alarm_json: Some(true),
                mode: false,
                cameras: false,
            },
            Format::Raw => Streams {
                alarm_json: Some(false),
                mode: false,
                cameras: false,
            },
            Format::Mode => Streams {
                alarm_json: None,
                mode: true,
                cameras: true,
            },
            Format::Mixed => Streams {
                alarm_json: Some(true),
                mode: true,
                cameras: true,
            },
        };
        let start = config.start.timestamp_micros();
        let end = start + i64::from(config.days) * clock::DAY;
        let mut homes: Vec<Home> = (0..config.homes)
            .map(|i| Home::new(i, config.seed, start, end, streams))
            .collect();
        let heap = homes
            .iter_mut()
            .enumerate()
            .filter_map(|(i, h)| h.next_time().map(|t| Reverse((t, i))))
            .collect();
        Generator { homes, heap }
    }

    /// The simulated time the generator has reached: the next moment it will write, or `None`
    /// once every home is done.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.heap
            .peek()
            .map(|Reverse((micros, _))| clock::to_datetime(*micros))
    }

    /// Appends the lines of the next moment of the earliest home; returns how many, 0 at the end.
    pub fn next_lines(&mut self, out: &mut String) -> usize {
        self.next_home_lines(out).map_or(0, |(lines, _)| lines)
    }

    /// [`Generator::next_lines`], and the site of the home that wrote them (the partition key
    /// a producer gives them, so that each home keeps its order); `None` at the end.
    pub fn next_home_lines(&mut self, out: &mut String) -> Option<(usize, &str)> {
        while let Some(Reverse((_, index))) = self.heap.pop() {
            let home = &mut self.homes[index];
            let lines = home.emit(out);
            if let Some(next) = home.next_time() {
                self.heap.push(Reverse((next, index)));
            }
            if lines > 0 {
                return Some((lines, self.homes[index].site()));
            }
        }
        None
    }
}

/// Writes every line to `out`; returns the number of lines.
pub fn write_all(config: &GeneratorConfig, out: &mut impl Write) -> io::Result<u64> {
    let mut generator = Generator::new(config);
    let mut buffer = String::with_capacity(1 << 16);
    let mut lines = 0u64;
    loop {
        let n = generator.next_lines(&mut buffer);
        lines += n as u64;
        if n == 0 || buffer.len() > (1 << 16) - 4096 {
            out.write_all(buffer.as_bytes())?;
            buffer.clear();
        }
        if n == 0 {
            return Ok(lines);
        }
    }
}
