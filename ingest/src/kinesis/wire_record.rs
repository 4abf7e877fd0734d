//! The fields of one GetRecords record, read from its JSON text.
//!
//! *Why a reader of its own:* serde_json reads each string twice (a search for the closing
//! quote, then UTF-8 validation) and most of a record is its base64 `Data`, which the base64
//! decoder checks byte by byte anyway. On benchmark P3 serde's reading was a third of taking
//! records out of the answers. A record as Kinesis writes it is a flat object of strings and
//! numbers without escapes; [`read`] reads exactly that shape with one `memchr` per string and
//! leaves anything else (escapes, nested values, repeated fields, a syntax error) to serde, which
//! reads it as before and words the error.

use std::borrow::Cow;

use alarmlake_schemas::json_flat::skip_ws;
use memchr::memchr2;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The fields the consumer keeps; strings are borrowed from the record's text where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordFields<'a> {
    /// The base64 text of the record's data.
    pub data: Cow<'a, [u8]>,
    pub sequence_number: Cow<'a, str>,
    pub partition_key: Option<Cow<'a, str>>,
    /// `ApproximateArrivalTimestamp` as written: a JSON number of epoch seconds.
    pub arrival: Option<&'a str>,
}

/// Reads one record object; the error is serde's message.
pub(crate) fn read(text: &[u8]) -> Result<RecordFields<'_>, String> {
    if let Some(fields) = read_flat(text) {
        return Ok(fields);
    }
    let record: SerdeRecord = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    Ok(RecordFields {
        data: match record.data {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
        sequence_number: record.sequence_number,
        partition_key: record.partition_key,
        arrival: record.arrival.map(RawValue::get),
    })
}

/// The record as serde reads it: the reference for [`read_flat`].
#[derive(Deserialize)]
struct SerdeRecord<'a> {
    #[serde(rename = "Data", borrow)]
    data: Cow<'a, str>,
    #[serde(rename = "SequenceNumber", borrow)]
    sequence_number: Cow<'a, str>,
    #[serde(rename = "PartitionKey", borrow, default)]
    partition_key: Option<Cow<'a, str>>,
    #[serde(rename = "ApproximateArrivalTimestamp", borrow, default)]
    arrival: Option<&'a RawValue>,
}

/// The bytes of the string whose opening quote is at `i`, and the offset after it; `None` if
/// it has an escape (serde unescapes) or is not closed.
fn raw_string_at(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let len = memchr2(b'"', b'\\', b.get(start..)?)?;
    (b[start + len] == b'"').then(|| (&b[start..start + len], start + len + 1))
}

/// A string field's text: valid UTF-8 without control characters, as serde requires.
fn text_at(b: &[u8], i: usize) -> Option<(&str, usize)> {
    let (bytes, end) = raw_string_at(b, i)?;
    if bytes.iter().any(|&c| c < 0x20) {
        return None;
    }
    Some((std::str::from_utf8(bytes).ok()?, end))
}

/// A JSON number's text, in JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number_at(b: &[u8], i: usize) -> Option<(&str, usize)> {
    let digits = |at: usize| {
        b.get(at..)
            .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let mut end = i + usize::from(b.get(i) == Some(&b'-'));
    match digits(end) {
        0 => return None,
        n if n > 1 && b[end] == b'0' => return None,
        n => end += n,
    }
    if b.get(end) == Some(&b'.') {
        match digits(end + 1) {
            0 => return None,
            n => end += 1 + n,
        }
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        end += 1 + usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        match digits(end) {
            0 => return None,
            n => end += n,
        }
    }
    Some((std::str::from_utf8(&b[i..end]).ok()?, end))
}

/// `null` at `i`: the offset after it.
fn null_at(b: &[u8], i: usize) -> Option<usize> {
    b.get(i..i + 4).filter(|w| *w == b"null").map(|_| i + 4)
}

/// A reader of one value at an offset: the value and the offset after it.
type ValueAt = fn(&[u8], usize) -> Option<(&str, usize)>;

/// `null` (as `None`, as serde reads an optional field) or a value `read` reads.
fn nullable(b: &[u8], i: usize, read: ValueAt) -> Option<(Option<&str>, usize)> {
    match null_at(b, i) {
        Some(end) => Some((None, end)),
        None => read(b, i).map(|(value, end)| (Some(value), end)),
    }
}

/// Skips a scalar value of a field the consumer does not keep (`EncryptionType`, `KeyId`).
fn skip_scalar(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => text_at(b, i).map(|(_, end)| end),
        b't' => b.get(i..i + 4).filter(|w| *w == b"true").map(|_| i + 4),
        b'f' => b.get(i..i + 5).filter(|w| *w == b"false").map(|_| i + 5),
        b'n' => null_at(b, i),
        _ => number_at(b, i).map(|(_, end)| end),
    }
}

/// Sets a field that must appear once (serde rejects a repeated field).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value))
}

/// The fast path: a flat record object without escapes, or `None` for serde.
fn read_flat(b: &[u8]) -> Option<RecordFields<'_>> {
    let mut data = None;
    let mut sequence_number = None;
    let mut partition_key: Option<Option<&str>> = None;
    let mut arrival: Option<Option<&str>> = None;
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) != Some(&b'}') {
        loop {
            // A key is held to serde's rules too (UTF-8, no control characters): a record whose
            // unknown key serde rejects must not be taken (found by the `get_records` fuzz
            // target: NUL bytes inside a key).
            let (key, next) = text_at(b, i)?;
            i = skip_ws(b, next);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(b, i + 1);
            i = match key.as_bytes() {
                b"Data" => {
                    let (value, end) = raw_string_at(b, i)?;
                    once(&mut data, value)?;
                    end
                }
                b"SequenceNumber" => {
                    let (value, end) = text_at(b, i)?;
                    once(&mut sequence_number, value)?;
                    end
                }
                b"PartitionKey" => {
                    let (value, end) = nullable(b, i, text_at)?;
                    once(&mut partition_key, value)?;
                    end
                }
                b"ApproximateArrivalTimestamp" => {
                    let (value, end) = nullable(b, i, number_at)?;
                    once(&mut arrival, value)?;
                    end
                }
                _ => skip_scalar(b, i)?,
            };
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b'}') => break,
                _ => return None,
            }
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return None;
    }
    Some(RecordFields {
        data: Cow::Borrowed(data?),
        sequence_number: Cow::Borrowed(sequence_number?),
        partition_key: partition_key.flatten().map(Cow::Borrowed),
        arrival: arrival.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde alone makes of `text`.
    fn by_serde(text: &str) -> Result<RecordFields<'_>, String> {
        let record: SerdeRecord = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(RecordFields {
            data: Cow::Owned(record.data.as_bytes().to_vec()),
            sequence_number: Cow::Owned(record.sequence_number.into_owned()),
            partition_key: record.partition_key.map(|k| Cow::Owned(k.into_owned())),
            arrival: record.arrival.map(RawValue::get),
        })
    }

    #[test]
    fn kinesis_records_take_the_fast_path_and_read_as_serde_reads_them() {
        for text in [
            // Kinesis's field order, and kinesis-local's (sorted).
            r#"{"SequenceNumber":"4959","ApproximateArrivalTimestamp":1764541851.123,"Data":"eyJldmVudCI6IkFSTSJ9","PartitionKey":"site-0007","EncryptionType":"NONE"}"#,
            r#"{"ApproximateArrivalTimestamp":1796075080,"Data":"AA==","EncryptionType":"KMS","KeyId":"alias/x","PartitionKey":"home-0022","SequenceNumber":"1"}"#,
            r#" { "Data" : "" , "SequenceNumber" : "7" , "PartitionKey" : null , "ApproximateArrivalTimestamp" : null , "Flag" : true } "#,
            r#"{"Data":"AA==","SequenceNumber":"1","PartitionKey":"café"}"#,
        ] {
            let fast = read_flat(text.as_bytes());
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, by_serde(text).ok(), "{text}");
        }
    }

    #[test]
    fn other_shapes_are_read_by_serde() {
        for text in [
            // Escapes: serde unescapes them.
            r#"{"Data":"AA\/A","SequenceNumber":"1"}"#,
            r#"{"Data":"AA==","SequenceNumber":"1","PartitionKey":"a\"b"}"#,
            // A nested value in a field the consumer does not keep.
            r#"{"Data":"AA==","SequenceNumber":"1","Extra":{"a":[1]}}"#,
        ] {
            assert_eq!(read_flat(text.as_bytes()), None, "{text}");
            assert_eq!(read(text.as_bytes()), by_serde(text), "{text}");
        }
        let unescaped =
            read(br#"{"Data":"AA\/A","SequenceNumber":"1","PartitionKey":"a\"b"}"#).unwrap();
        assert_eq!(&*unescaped.data, b"AA/A");
        assert_eq!(unescaped.partition_key.as_deref(), Some("a\"b"));
    }

    #[test]
    fn records_serde_rejects_are_rejected() {
        for text in [
            r#"{"SequenceNumber":"1"}"#,
            r#"{"Data":"AA=="}"#,
            r#"{"Data":"AA==","SequenceNumber":"1","Data":"AQ=="}"#,
            r#"{"Data":"AA==","SequenceNumber":null}"#,
            r#"{"Data":"AA==","SequenceNumber":1}"#,
            r#"{"Data":"AA==","SequenceNumber":"1"} x"#,
            r#"{"Data":"AA==","SequenceNumber":"1",}"#,
            r#"{"Data":"AA==" "SequenceNumber":"1"}"#,
            "{\"Data\":\"AA==\",\"SequenceNumber\":\"1\u{1}\"}",
            // Control characters in a key (found by the `get_records` fuzz target).
            "{\"Data\":\"AA==\",\"SequenceNumber\":\"1\",\"Appro\u{0}x\":1}",
            r#"{}"#,
            r#"[]"#,
            "",
        ] {
            assert!(read(text.as_bytes()).is_err(), "{text}");
        }
    }

    /// Keys a record may carry, known and not, and a misspelling.
    const KEYS: [&str; 7] = [
        "Data",
        "SequenceNumber",
        "PartitionKey",
        "ApproximateArrivalTimestamp",
        "EncryptionType",
        "KeyId",
        "data",
    ];
    /// Values of every kind the fast path reads or must leave to serde.
    const VALUES: [&str; 22] = [
        r#""AA==""#,
        r#""eyJldmVudCI6IkFSTSJ9""#,
        r#""4959""#,
        r#""caf\u00e9""#,
        r#""a\"b""#,
        r#""x\/y""#,
        r#""é""#,
        r#""""#,
        "1764541851.123",
        "1764541851",
        "-0",
        "1e9",
        "2.5E-3",
        "1-2",
        "01",
        "1.",
        "1e",
        "--1",
        "null",
        "true",
        "{\"a\":1}",
        "[1]",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the fields' order, values, repeats and spacing, the fast path either reads
        /// what serde reads or leaves the record to serde; and `read` always agrees with serde.
        /// Every record starts from a valid `Data` and `SequenceNumber` (placed anywhere), so
        /// that most cases are records serde accepts and the other fields decide.
        #[test]
        fn reads_as_serde_reads(
            others in proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..5),
            data_at in 0usize..6,
            sequence_at in 0usize..6,
            spaces in any::<bool>(),
            tail in "[ }x,]{0,2}",
        ) {
            let (sep, colon) = if spaces { (" , ", " : ") } else { (",", ":") };
            let mut fields: Vec<String> = others
                .iter()
                .map(|(k, v)| format!("\"{}\"{colon}{}", KEYS[*k], VALUES[*v]))
                .collect();
            fields.insert(data_at.min(fields.len()), format!("\"Data\"{colon}\"AQID\""));
            fields.insert(sequence_at.min(fields.len()), format!("\"SequenceNumber\"{colon}\"49\""));
            let text = format!("{{{}}}{tail}", fields.join(sep));
            let serde = by_serde(&text);
            if let Some(fast) = read_flat(text.as_bytes()) {
                prop_assert_eq!(Ok(fast), serde.clone(), "{}", text);
            }
            prop_assert_eq!(read(text.as_bytes()).is_ok(), serde.is_ok(), "{}", text);
            if let (Ok(ours), Ok(theirs)) = (read(text.as_bytes()), serde) {
                prop_assert_eq!(ours, theirs, "{}", text);
            }
        }
    }
}
