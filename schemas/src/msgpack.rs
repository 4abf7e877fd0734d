//! The small part of MessagePack that alarmlake needs: checking that bytes are exactly one
//! well-formed value (for the content sniff of bulk records), and MODE's bulk-data envelope.
//!
//! MODE's Kinesis module takes an MQTT payload of the string `"1.0"` followed by byte arrays,
//! one per Kinesis record (MODE's manual; not confirmed elsewhere). It is written here as one
//! MessagePack array `["1.0", bin, bin, ...]`; the reader also accepts the same values as a
//! plain sequence without the array header, in case devices write it that way.

use thiserror::Error;

/// The envelope version MODE's manual names.
pub const ENVELOPE_VERSION: &str = "1.0";

/// Nesting deeper than this is treated as malformed, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvelopeError {
    #[error("not a MessagePack bulk-data envelope: {0}")]
    Malformed(&'static str),
    #[error("unsupported bulk-data envelope version {0:?} (expected \"1.0\")")]
    Version(String),
}

/// Reads a big-endian length of `n` bytes at `pos`.
fn read_len(buf: &[u8], pos: usize, n: usize) -> Option<usize> {
    let bytes = buf.get(pos..pos.checked_add(n)?)?;
    Some(
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
    )
}

/// Returns the position just after the value starting at `pos`, or `None` if it is malformed
/// or truncated.
fn skip(buf: &[u8], pos: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    let marker = *buf.get(pos)?;
    let at = pos + 1;
    let fixed = |n: usize| at.checked_add(n).filter(|end| *end <= buf.len());
    let sized = |len_bytes: usize, extra: usize| {
        let len = read_len(buf, at, len_bytes)?;
        at.checked_add(len_bytes)?
            .checked_add(extra)?
            .checked_add(len)
            .filter(|end| *end <= buf.len())
    };
    let items = |mut cursor: usize, count: usize| {
        for _ in 0..count {
            cursor = skip(buf, cursor, depth + 1)?;
        }
        Some(cursor)
    };
    match marker {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => Some(at),
        0x80..=0x8f => items(at, usize::from(marker & 0x0f) * 2),
        0x90..=0x9f => items(at, usize::from(marker & 0x0f)),
        0xa0..=0xbf => fixed(usize::from(marker & 0x1f)),
        0xc4 | 0xd9 => sized(1, 0),
        0xc5 | 0xda => sized(2, 0),
        0xc6 | 0xdb => sized(4, 0),
        0xc7 => sized(1, 1),
        0xc8 => sized(2, 1),
        0xc9 => sized(4, 1),
        0xca => fixed(4),
        0xcb => fixed(8),
        0xcc | 0xd0 => fixed(1),
        0xcd | 0xd1 => fixed(2),
        0xce | 0xd2 => fixed(4),
        0xcf | 0xd3 => fixed(8),
        0xd4 => fixed(2),
        0xd5 => fixed(3),
        0xd6 => fixed(5),
        0xd7 => fixed(9),
        0xd8 => fixed(17),
        0xdc => items(at + 2, read_len(buf, at, 2)?),
        0xdd => items(at + 4, read_len(buf, at, 4)?),
        0xde => items(at + 2, read_len(buf, at, 2)?.checked_mul(2)?),
        0xdf => items(at + 4, read_len(buf, at, 4)?.checked_mul(2)?),
        0xc1 => None, // never used
    }
}

/// True when `buf` is exactly one well-formed MessagePack container, string, binary or
/// extension value. Bare numbers are excluded: every ASCII byte is a valid positive fixint, so
/// they would make any one-character text look like MessagePack.
pub fn is_single_value(buf: &[u8]) -> bool {
    let Some(first) = buf.first() else {
        return false;
    };
    let structured = matches!(first, 0x80..=0xbf | 0xc4..=0xc9 | 0xd4..=0xdf);
    structured && skip(buf, 0, 0) == Some(buf.len())
}

fn write_header(
    out: &mut Vec<u8>,
    len: usize,
    small: (u8, usize),
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) {
    let (fix_marker, fix_max) = small;
    if len <= fix_max && fix_marker != 0 {
        out.push(fix_marker | len as u8);
    } else if let (Some(m), true) = (m8, len <= 0xff) {
        out.extend_from_slice(&[m, len as u8]);
    } else if len <= 0xffff {
        out.push(m16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// Encodes MODE's bulk-data envelope: `["1.0", bin, bin, ...]`.
pub fn encode_envelope<B: AsRef<[u8]>>(records: &[B]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(8 + records.iter().map(|r| r.as_ref().len() + 5).sum::<usize>());
    write_header(&mut out, records.len() + 1, (0x90, 15), None, 0xdc, 0xdd);
    write_header(
        &mut out,
        ENVELOPE_VERSION.len(),
        (0xa0, 31),
        Some(0xd9),
        0xda,
        0xdb,
    );
    out.extend_from_slice(ENVELOPE_VERSION.as_bytes());
    for record in records {
        let bytes = record.as_ref();
        write_header(&mut out, bytes.len(), (0, 0), Some(0xc4), 0xc5, 0xc6);
        out.extend_from_slice(bytes);
    }
    out
}

/// Reads a string or binary value at `pos`: (payload range, position after it).
fn read_bytes(buf: &[u8], pos: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let marker = *buf.get(pos)?;
    let (len_bytes, len) = match marker {
        0xa0..=0xbf => (0, usize::from(marker & 0x1f)),
        0xc4 | 0xd9 => (1, read_len(buf, pos + 1, 1)?),
        0xc5 | 0xda => (2, read_len(buf, pos + 1, 2)?),
        0xc6 | 0xdb => (4, read_len(buf, pos + 1, 4)?),
        _ => return None,
    };
    let start = pos + 1 + len_bytes;
    let end = start.checked_add(len).filter(|end| *end <= buf.len())?;
    Some((start..end, end))
}

/// Decodes MODE's bulk-data envelope into its records.
pub fn decode_envelope(buf: &[u8]) -> Result<Vec<Vec<u8>>, EnvelopeError> {
    let (mut pos, count) = match buf.first() {
        Some(m @ 0x90..=0x9f) => (1, Some(usize::from(m & 0x0f))),
        Some(0xdc) => (
            3,
            Some(read_len(buf, 1, 2).ok_or(EnvelopeError::Malformed("truncated array header"))?),
        ),
        Some(0xdd) => (
            5,
            Some(read_len(buf, 1, 4).ok_or(EnvelopeError::Malformed("truncated array header"))?),
        ),
        Some(_) => (0, None),
        None => return Err(EnvelopeError::Malformed("empty payload")),
    };
    if count == Some(0) {
        return Err(EnvelopeError::Malformed("empty array"));
    }
    let (version, next) =
        read_bytes(buf, pos).ok_or(EnvelopeError::Malformed("no version string first"))?;
    let version = &buf[version];
    if version != ENVELOPE_VERSION.as_bytes() {
        return Err(EnvelopeError::Version(
            String::from_utf8_lossy(version).into_owned(),
        ));
    }
    pos = next;
    let mut records = Vec::new();
    while pos < buf.len() && count.is_none_or(|c| records.len() + 1 < c) {
        let (range, next) =
            read_bytes(buf, pos).ok_or(EnvelopeError::Malformed("element is not a byte array"))?;
        records.push(buf[range].to_vec());
        pos = next;
    }
    if pos != buf.len() || count.is_some_and(|c| records.len() + 1 != c) {
        return Err(EnvelopeError::Malformed(
            "length does not match its contents",
        ));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip_small_and_large() {
        let big = vec![7u8; 70_000];
        let records: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![], vec![0xff; 300], big];
        let encoded = encode_envelope(&records);
        assert!(is_single_value(&encoded));
        assert_eq!(decode_envelope(&encoded).unwrap(), records);
        let many: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i]).collect();
        assert_eq!(decode_envelope(&encode_envelope(&many)).unwrap(), many);
    }

    #[test]
    fn envelope_as_plain_sequence() {
        // "1.0" then bin8 "hi", without an array header.
        let seq = [0xa3, b'1', b'.', b'0', 0xc4, 2, b'h', b'i'];
        assert_eq!(decode_envelope(&seq).unwrap(), vec![b"hi".to_vec()]);
    }

    #[test]
    fn envelope_errors() {
        assert!(matches!(
            decode_envelope(&[]),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            decode_envelope(&[0x92, 0xa3, b'2', b'.', b'0', 0xc4, 0]),
            Err(EnvelopeError::Version(_))
        ));
        assert!(matches!(
            decode_envelope(&[0x93, 0xa3, b'1', b'.', b'0', 0xc4, 0]),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            decode_envelope(&[0x92, 0xa3, b'1', b'.', b'0', 0xc4, 9, 1]),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    #[test]
    fn single_value_check() {
        assert!(is_single_value(&[0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0xc3]));
        assert!(!is_single_value(b"a"), "ASCII is not MessagePack");
        assert!(!is_single_value(&[0x82, 0xa1, b'a', 0x01]), "truncated map");
        assert!(!is_single_value(&[0x91, 0xc1]), "0xc1 is never valid");
        assert!(
            !is_single_value(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
            "huge count, no items"
        );
        let deep: Vec<u8> = std::iter::repeat_n(0x91u8, 100_000).chain([0xc0]).collect();
        assert!(
            !is_single_value(&deep),
            "deep nesting is refused, not a stack overflow"
        );
    }
}
