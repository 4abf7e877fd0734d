//! The decoder: one [`RawRecord`] in, one [`Outcome`] per unit out.
//!
//! A record may be one JSON object, several JSON objects (newline-delimited, pretty-printed or
//! simply concatenated, as Firehose-style batching produces), or raw AlarmDecoder serial lines.
//! KPL aggregates are expanded before this step by [`crate::kpl::deaggregate_record`], because
//! each user record has its own position.

use chrono::{DateTime, Utc};

use crate::alarmdecoder::{self, AlarmEvent, dict};
use crate::camera::{self, CameraOutcome};
use crate::drift::{self, Extra};
use crate::event::{Event, EventBody, Outcome};
use crate::json_flat;
use crate::json_probe::{Probe, Shape, json_error};
use crate::json_scalar::Scalar;
use crate::mode::{BulkRecord, ModeEvent};
use crate::position::RawRecord;
use crate::reject::{DecodeError, RejectReason};
use crate::timestamp::{self, ParsedTime};
use crate::timezone::TimeZones;

/// Which records are MODE bulk data (opaque payloads) rather than events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BulkPolicy {
    /// No record is bulk data; anything unrecognized is rejected. The default: it keeps
    /// mistakes visible in `dead_letters`.
    #[default]
    Never,
    /// Records that are not any known event format are stored as bulk data.
    Unrecognized,
    /// The source carries only bulk data: every record is stored as it is.
    Always,
}

/// Settings of the decoder.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderConfig {
    /// The site of records that have no partition key (files, stdin, ser2sock).
    pub default_site: String,
    pub time_zones: TimeZones,
    pub bulk: BulkPolicy,
    /// Longest accepted line or JSON value; longer ones are rejected without being parsed.
    pub max_line_bytes: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            default_site: "unknown".to_string(),
            time_zones: TimeZones::default(),
            bulk: BulkPolicy::Never,
            max_line_bytes: 256 * 1024,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Decoder {
    config: DecoderConfig,
}

/// Collects the outcomes of one record, numbering them.
struct Sink<'a> {
    out: &'a mut Vec<Outcome>,
    next_index: u32,
    site: &'a str,
    arrival: DateTime<Utc>,
    /// What the next event keeps outside its typed columns.
    extra: Option<Box<Extra>>,
}

impl Sink<'_> {
    fn index(&mut self) -> u32 {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        index
    }

    fn event(&mut self, site: String, event_time: DateTime<Utc>, body: EventBody) {
        let index = self.index();
        self.out.push(Outcome::Event(Event {
            index,
            site,
            event_time,
            body,
            extra: self.extra.take(),
        }));
    }

    fn reject(&mut self, error: DecodeError, raw: &[u8]) {
        let index = self.index();
        self.out.push(Outcome::Rejected {
            index,
            site: self.site.to_string(),
            rejected: error.with_raw(raw),
        });
    }

    fn chatter(&mut self, kind: &'static str) {
        let index = self.index();
        self.out.push(Outcome::Chatter { index, kind });
    }
}

fn is_line_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t' && b != b'\r') || b == 0x7f
}

impl Decoder {
    pub fn new(config: DecoderConfig) -> Self {
        Decoder { config }
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Decodes one record.
    pub fn decode(&self, record: &RawRecord) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(1);
        self.decode_into(record, &mut out);
        out
    }

    /// Decodes one record, appending its outcomes to `out`.
    pub fn decode_into(&self, record: &RawRecord, out: &mut Vec<Outcome>) {
        let site = match record.position.partition_key.as_deref() {
            Some(key) if !key.is_empty() => key,
            _ => self.config.default_site.as_str(),
        };
        let arrival = record.position.arrival_time;
        let start = out.len();
        let mut sink = Sink {
            out,
            next_index: 0,
            site,
            arrival,
            extra: None,
        };
        let data = record.data.as_slice();
        if self.config.bulk == BulkPolicy::Always {
            sink.event(
                site.to_string(),
                arrival,
                EventBody::Bulk(BulkRecord::new(data.to_vec())),
            );
            return;
        }
        self.decode_units(data, &mut sink);
        if self.config.bulk == BulkPolicy::Unrecognized && is_all_unrecognized(&sink.out[start..]) {
            sink.out.truncate(start);
            sink.next_index = 0;
            sink.event(
                site.to_string(),
                arrival,
                EventBody::Bulk(BulkRecord::new(data.to_vec())),
            );
        }
    }

    fn decode_units(&self, data: &[u8], sink: &mut Sink) {
        if data.iter().all(u8::is_ascii_whitespace) {
            sink.reject(
                DecodeError::new(RejectReason::EmptyRecord, "record is empty"),
                data,
            );
            return;
        }
        let text = match as_text(data) {
            Ok(text) => text,
            Err(e) => {
                let detail = format!(
                    "record is not UTF-8 (bad byte at offset {})",
                    e.valid_up_to()
                );
                sink.reject(DecodeError::new(RejectReason::InvalidUtf8, detail), data);
                return;
            }
        };
        let mut rest = text;
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
            if rest.is_empty() {
                break;
            }
            // The common case first: a flat JSON object, read without looking for the line end.
            if rest.starts_with('{') {
                let mut probe = Probe::default();
                if let Some(end) = json_flat::probe_into(rest, &mut probe)
                    .filter(|end| *end <= self.config.max_line_bytes)
                {
                    self.json_value(probe, &rest[..end], sink);
                    rest = &rest[end..];
                    continue;
                }
            }
            let line_end = rest.find('\n').unwrap_or(rest.len());
            if line_end > self.config.max_line_bytes {
                let detail = format!(
                    "line of {line_end} bytes exceeds the limit of {} bytes",
                    self.config.max_line_bytes
                );
                sink.reject(
                    DecodeError::new(RejectReason::LineTooLong, detail),
                    &rest.as_bytes()[..line_end],
                );
                rest = &rest[line_end..];
                continue;
            }
            if rest.starts_with('{')
                || (rest.starts_with('[') && rest[1..].trim_start().starts_with('{'))
            {
                rest = self.json_unit(rest, line_end, sink);
            } else {
                let line = rest[..line_end].trim_end_matches('\r');
                self.line_unit(line, sink);
                rest = &rest[line_end..];
            }
        }
    }

    /// Decodes the JSON value at the start of `text` with serde (the flat fast path declined
    /// it); returns the text after it.
    fn json_unit<'t>(&self, text: &'t str, line_end: usize, sink: &mut Sink) -> &'t str {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Probe>();
        match stream.next() {
            Some(Ok(mut probe)) => {
                let end = stream.byte_offset();
                let raw = &text[..end];
                if end > self.config.max_line_bytes {
                    let detail = format!(
                        "JSON value of {end} bytes exceeds the limit of {} bytes",
                        self.config.max_line_bytes
                    );
                    sink.reject(
                        DecodeError::new(RejectReason::LineTooLong, detail),
                        raw.as_bytes(),
                    );
                } else {
                    probe.unknown = drift::unknown_fields(raw);
                    self.json_value(probe, raw, sink);
                }
                &text[end..]
            }
            Some(Err(e))
                if text.starts_with('{') && e.classify() == serde_json::error::Category::Data =>
            {
                // Well-formed JSON with a value of an unexpected type: keep the event without
                // that field if it can be decoded so (see `drift`).
                let mut objects =
                    serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
                let end = match objects.next() {
                    Some(Ok(_)) => objects.byte_offset(),
                    _ => line_end,
                };
                let raw = &text[..end];
                if end > self.config.max_line_bytes {
                    sink.reject(json_error(&e), raw.as_bytes());
                } else {
                    self.json_without_mistyped(raw, json_error(&e), None, sink);
                }
                &text[end..]
            }
            Some(Err(e))
                if text.starts_with('[') && e.classify() == serde_json::error::Category::Data =>
            {
                // A well-formed array where an object belongs: find its end and reject it whole.
                let mut arrays =
                    serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
                let end = match arrays.next() {
                    Some(Ok(_)) => arrays.byte_offset(),
                    _ => line_end,
                };
                let detail = "a JSON array is not an event: send one object per record or per line";
                sink.reject(
                    DecodeError::new(RejectReason::UnknownJsonShape, detail),
                    &text.as_bytes()[..end],
                );
                &text[end..]
            }
            Some(Err(e)) => {
                // A broken value on one line spoils that line; one that spans lines (pretty-
                // printed) spoils the rest of the record, which is kept whole as one dead letter.
                let end = if e.line() <= 1 { line_end } else { text.len() };
                sink.reject(json_error(&e), &text.as_bytes()[..end]);
                &text[end..]
            }
            None => "",
        }
    }

    /// Decodes a probed object; an error that names a field of the wrong type gives the
    /// object a second chance without that field.
    fn json_value(&self, probe: Probe, raw: &str, sink: &mut Sink) {
        sink.extra = Extra::of(&probe.unknown, &[]);
        match self.try_json_value(&probe, raw, sink) {
            Ok(()) => {}
            Err(error) if error.field.is_some() => {
                let field = error.field.clone();
                self.json_without_mistyped(raw, error, field.as_deref(), sink);
            }
            Err(error) => sink.reject(error, raw.as_bytes()),
        }
        sink.extra = None;
    }

    /// Decodes `raw` after moving its mistyped fields (and `refused`, a field a decoder could
    /// not use) to `extra`, repeating while a decoder names another such field. When the event
    /// cannot be decoded without them, `first_error` is the rejection.
    fn json_without_mistyped(
        &self,
        raw: &str,
        first_error: DecodeError,
        refused: Option<&str>,
        sink: &mut Sink,
    ) {
        /// More fields than any event has: the loop ends even on hostile input.
        const MAX_ROUNDS: usize = 8;
        let mut object = raw.to_string();
        let mut moved: Vec<(String, String)> = Vec::new();
        let mut refused = refused.map(str::to_string);
        for _ in 0..MAX_ROUNDS {
            let Some((kept, taken)) = drift::without_mistyped(&object, refused.as_deref()) else {
                break;
            };
            moved.extend(taken);
            object = kept;
            let Ok(mut probe) = serde_json::from_str::<Probe>(&object) else {
                break;
            };
            probe.unknown = drift::unknown_fields(&object);
            sink.extra = Extra::of(&probe.unknown, &moved);
            match self.try_json_value(&probe, raw, sink) {
                Ok(()) => {
                    sink.extra = None;
                    return;
                }
                Err(error) if error.field.is_some() => refused = error.field,
                Err(_) => break,
            }
        }
        sink.extra = None;
        sink.reject(first_error, raw.as_bytes());
    }

    fn try_json_value(&self, probe: &Probe, raw: &str, sink: &mut Sink) -> Result<(), DecodeError> {
        let shape = probe.shape();
        match shape {
            Shape::Mode => ModeEvent::from_probe(probe).map(|(event, time)| {
                sink.event(event.home_id.to_string(), time, EventBody::Mode(event));
            }),
            Shape::S3Notification => self.s3_notification(probe, raw, sink),
            Shape::Unknown => Err(DecodeError::new(
                RejectReason::UnknownJsonShape,
                "JSON object is not an AlarmDecoder message, MODE event or S3 notification",
            )),
            _ => dict::decode(probe, shape).and_then(|message| {
                let site = probe
                    .site
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(sink.site);
                let (time_text, event_time) =
                    self.alarm_time(probe.time.as_ref(), site, sink.arrival)?;
                let event = AlarmEvent {
                    message,
                    time: time_text,
                    raw: None,
                };
                sink.event(site.to_string(), event_time, EventBody::Alarm(event));
                Ok(())
            }),
        }
    }

    /// Reads an AlarmDecoder `time`: naive local text (resolved with the site's zone), text
    /// with an offset, or epoch seconds. Without one, the arrival time stands in.
    fn alarm_time(
        &self,
        time: Option<&Scalar>,
        site: &str,
        arrival: DateTime<Utc>,
    ) -> Result<(Option<String>, DateTime<Utc>), DecodeError> {
        match time {
            None | Some(Scalar::Null) => Ok((None, arrival)),
            Some(Scalar::Str(text)) => {
                let utc = match timestamp::parse_iso(text)? {
                    ParsedTime::Naive(local) => self.config.time_zones.to_utc(site, local),
                    ParsedTime::Absolute(t) => t,
                };
                Ok((Some(text.to_string()), utc))
            }
            Some(Scalar::Int(i)) => Ok((
                Some(i.to_string()),
                timestamp::from_epoch_seconds(*i as f64)?,
            )),
            Some(Scalar::Float(f)) => Ok((Some(f.to_string()), timestamp::from_epoch_seconds(*f)?)),
            Some(other) => Err(DecodeError::new(
                RejectReason::WrongType,
                format!(
                    "\"time\" is {}, expected an ISO timestamp string",
                    other.kind()
                ),
            )
            .in_field("time")),
        }
    }

    fn s3_notification(
        &self,
        probe: &Probe,
        raw: &str,
        sink: &mut Sink,
    ) -> Result<(), DecodeError> {
        let Some(records) = probe.s3_records else {
            return match probe.s3_event.as_deref() {
                Some("s3:TestEvent") => {
                    sink.chatter("s3_test_event");
                    Ok(())
                }
                _ => Err(DecodeError::new(
                    RejectReason::InvalidS3Notification,
                    "S3 notification has no \"Records\"",
                )),
            };
        };
        let site = sink.site.to_string();
        let to_utc = |local| self.config.time_zones.to_utc(&site, local);
        for outcome in camera::decode_records(records.get(), &to_utc)? {
            match outcome {
                CameraOutcome::Media { media, upload_time } => {
                    sink.event(site.clone(), upload_time, EventBody::Camera(media))
                }
                CameraOutcome::NotAnUpload => sink.chatter("s3_not_an_upload"),
                CameraOutcome::Failed(error) => sink.reject(error, raw.as_bytes()),
            }
        }
        Ok(())
    }

    fn line_unit(&self, line: &str, sink: &mut Sink) {
        if let Some(position) = line.bytes().position(is_line_control) {
            let detail = format!(
                "control character 0x{:02x} at byte {position}",
                line.as_bytes()[position]
            );
            sink.reject(
                DecodeError::new(RejectReason::ControlCharacter, detail),
                line.as_bytes(),
            );
            return;
        }
        // A capture log (`nc relay 10000 | ts %Y-%m-%dT%H:%M:%.S%z`, or a relay's own log)
        // puts the moment each line was read before it. No raw line starts with a date, so a
        // leading date, a time and a space can only be that.
        let (time, line) = match capture_stamp(line) {
            Some((stamp, rest)) => match timestamp::parse_iso(stamp) {
                Ok(parsed) => (Some((stamp, parsed)), rest),
                Err(error) => return sink.reject(error, line.as_bytes()),
            },
            None => (None, line),
        };
        match alarmdecoder::parse_line(line) {
            Ok(Ok(message)) => {
                let site = sink.site.to_string();
                let event_time = match &time {
                    Some((_, ParsedTime::Naive(local))) => {
                        self.config.time_zones.to_utc(&site, *local)
                    }
                    Some((_, ParsedTime::Absolute(t))) => *t,
                    None => sink.arrival,
                };
                let event = AlarmEvent {
                    message,
                    time: time.map(|(stamp, _)| stamp.to_string()),
                    raw: Some(line.to_string()),
                };
                sink.event(site, event_time, EventBody::Alarm(event));
            }
            Ok(Err(chatter)) => sink.chatter(chatter.0),
            Err(error) => sink.reject(error, line.as_bytes()),
        }
    }
}

/// Splits a capture log's timestamp from its line: `2024-03-09T14:00:12Z !LRR:...`, or with a
/// space between date and time (`2024-03-09 14:00:12.250 [0000...`). `None` unless the line
/// starts with a date (`YYYY-MM-DD`): a keypad line that lost its bracket starts with digits too,
/// and must be rejected as a malformed keypad line, not as a bad timestamp.
fn capture_stamp(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    let is_date = b.len() > 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|i| b[*i].is_ascii_digit());
    if !is_date {
        return None;
    }
    let (first, rest) = line.split_once(' ')?;
    if first.len() == 10 {
        // A date alone: the time is the next word.
        let (time, rest) = rest.split_once(' ')?;
        let stamp = &line[..first.len() + 1 + time.len()];
        return Some((stamp, rest.trim_start()));
    }
    Some((first, rest.trim_start()))
}

/// The record as text. Relay output is almost always ASCII, and std's ASCII check is several
/// times faster than full UTF-8 validation, which was a tenth of the JSON decoding time.
fn as_text(data: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if data.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(data) })
    } else {
        std::str::from_utf8(data)
    }
}

/// True when every outcome is a rejection saying the input is not a known format at all (as
/// opposed to a known format with a bad field).
fn is_all_unrecognized(outcomes: &[Outcome]) -> bool {
    !outcomes.is_empty()
        && outcomes.iter().all(|o| {
            matches!(o, Outcome::Rejected { rejected, .. } if matches!(
                rejected.reason,
                RejectReason::InvalidUtf8
                    | RejectReason::UnrecognizedLine
                    | RejectReason::UnknownJsonShape
                    | RejectReason::InvalidJson
                    | RejectReason::ControlCharacter
                    | RejectReason::LineTooLong
            ))
        })
}
