//! KPL aggregated records: de-aggregation (as the official consumer library does it) and
//! aggregation (for the load generator).
//!
//! Layout: magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, then the 16-byte MD5 of the
//! protobuf bytes. A record that fails any check (too short, other magic, nothing beyond the
//! digest, wrong MD5, protobuf that does not parse) is not an aggregate and passes through
//! unchanged. The protobuf is three small messages, so it is read and written by hand rather
//! than with a code generator.

use md5::{Digest, Md5};

use crate::position::{RawRecord, RecordPosition};

pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;

/// One user record inside an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

/// Reads protobuf wire format.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let slice = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    /// Reads a field key: (field number, wire type).
    fn key(&mut self) -> Option<(u64, u8)> {
        let key = self.varint()?;
        Some((key >> 3, (key & 7) as u8))
    }

    /// Skips a field of an unknown number. Groups (wire types 3 and 4) are refused.
    fn skip(&mut self, wire_type: u8) -> Option<()> {
        match wire_type {
            0 => self.varint().map(drop),
            1 => self.advance(8),
            2 => self.bytes().map(drop),
            5 => self.advance(4),
            _ => None,
        }
    }

    fn advance(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len())?;
        self.pos = end;
        Some(())
    }
}

fn string(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

struct ParsedRecord<'a> {
    partition_key_index: u64,
    explicit_hash_key_index: Option<u64>,
    data: &'a [u8],
}

fn parse_tag(buf: &[u8]) -> Option<()> {
    let mut r = Reader::new(buf);
    let mut has_key = false;
    while !r.done() {
        match r.key()? {
            (1, 2) => {
                std::str::from_utf8(r.bytes()?).ok()?;
                has_key = true;
            }
            (2, 2) => {
                std::str::from_utf8(r.bytes()?).ok()?;
            }
            (_, wire) => r.skip(wire)?,
        }
    }
    has_key.then_some(())
}

fn parse_record(buf: &[u8]) -> Option<ParsedRecord<'_>> {
    let mut r = Reader::new(buf);
    let (mut pk, mut ehk, mut data) = (None, None, None);
    while !r.done() {
        match r.key()? {
            (1, 0) => pk = Some(r.varint()?),
            (2, 0) => ehk = Some(r.varint()?),
            (3, 2) => data = Some(r.bytes()?),
            (4, 2) => parse_tag(r.bytes()?)?,
            (_, wire) => r.skip(wire)?,
        }
    }
    Some(ParsedRecord {
        partition_key_index: pk?,
        explicit_hash_key_index: ehk,
        data: data?,
    })
}

fn parse_aggregate(buf: &[u8]) -> Option<Vec<UserRecord>> {
    let mut r = Reader::new(buf);
    let (mut keys, mut hash_keys, mut records) = (Vec::new(), Vec::new(), Vec::new());
    while !r.done() {
        match r.key()? {
            (1, 2) => keys.push(string(r.bytes()?)?),
            (2, 2) => hash_keys.push(string(r.bytes()?)?),
            (3, 2) => records.push(parse_record(r.bytes()?)?),
            (_, wire) => r.skip(wire)?,
        }
    }
    if records.is_empty() {
        // Nothing to hand on: keep the record whole so that it is counted and dead-lettered.
        return None;
    }
    records
        .into_iter()
        .map(|rec| {
            let partition_key = keys
                .get(usize::try_from(rec.partition_key_index).ok()?)?
                .clone();
            let explicit_hash_key = match rec.explicit_hash_key_index {
                Some(i) => Some(hash_keys.get(usize::try_from(i).ok()?)?.clone()),
                None => None,
            };
            Some(UserRecord {
                partition_key,
                explicit_hash_key,
                data: rec.data.to_vec(),
            })
        })
        .collect()
}

/// De-aggregates a KPL record, or returns `None` when it is not a valid aggregate.
pub fn deaggregate(data: &[u8]) -> Option<Vec<UserRecord>> {
    if data.len() <= MAGIC.len() + DIGEST_LEN || data[..MAGIC.len()] != MAGIC {
        return None;
    }
    let (message, digest) = data[MAGIC.len()..].split_at(data.len() - MAGIC.len() - DIGEST_LEN);
    if Md5::digest(message).as_slice() != digest {
        return None;
    }
    parse_aggregate(message)
}

/// Expands one Kinesis record into its user records. Each keeps the parent's sequence number
/// and arrival time, takes its own partition key, and gets its index as sub-sequence number.
/// A record that is not an aggregate comes back unchanged.
pub fn deaggregate_record(record: RawRecord) -> UserRecords {
    match deaggregate(&record.data) {
        None => UserRecords::Plain(Some(record)),
        Some(users) => UserRecords::Aggregate {
            parent: record.position,
            users: users.into_iter().enumerate(),
        },
    }
}

/// The user records of one Kinesis record, in order.
///
/// *Why an iterator:* nearly every record is not an aggregate, and a one-element vector for
/// each was an allocation per record on the consumer's hot path.
#[derive(Debug)]
pub enum UserRecords {
    /// A plain record: itself, once.
    Plain(Option<RawRecord>),
    /// An aggregate's user records, positioned under their parent.
    Aggregate {
        parent: RecordPosition,
        users: std::iter::Enumerate<std::vec::IntoIter<UserRecord>>,
    },
}

impl Iterator for UserRecords {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        match self {
            UserRecords::Plain(record) => record.take(),
            UserRecords::Aggregate { parent, users } => {
                let (index, user) = users.next()?;
                let mut position = parent.clone();
                position.sub_sequence_number = index as u64;
                position.partition_key = Some(user.partition_key);
                Some(RawRecord {
                    data: user.data,
                    position,
                })
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            UserRecords::Plain(record) => {
                let n = usize::from(record.is_some());
                (n, Some(n))
            }
            UserRecords::Aggregate { users, .. } => users.size_hint(),
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Packs user records into one KPL aggregate, with shared partition and hash key tables.
pub fn aggregate(records: &[UserRecord]) -> Vec<u8> {
    /// Tables are small (one entry per distinct key in a batch), so a scan is fine.
    fn index_of<'r>(table: &mut Vec<&'r str>, key: &'r str) -> u64 {
        let index = table.iter().position(|k| *k == key).unwrap_or_else(|| {
            table.push(key);
            table.len() - 1
        });
        index as u64
    }
    let mut keys: Vec<&str> = Vec::new();
    let mut hash_keys: Vec<&str> = Vec::new();
    let mut body = Vec::new();
    let mut encoded_records = Vec::with_capacity(records.len());
    for record in records {
        let mut rec = Vec::with_capacity(record.data.len() + 8);
        let pk = index_of(&mut keys, &record.partition_key);
        put_varint(&mut rec, 1 << 3);
        put_varint(&mut rec, pk);
        if let Some(ehk) = &record.explicit_hash_key {
            let i = index_of(&mut hash_keys, ehk);
            put_varint(&mut rec, 2 << 3);
            put_varint(&mut rec, i);
        }
        put_bytes(&mut rec, 3, &record.data);
        encoded_records.push(rec);
    }
    for key in &keys {
        put_bytes(&mut body, 1, key.as_bytes());
    }
    for key in &hash_keys {
        put_bytes(&mut body, 2, key.as_bytes());
    }
    for rec in &encoded_records {
        put_bytes(&mut body, 3, rec);
    }
    let mut out = Vec::with_capacity(MAGIC.len() + body.len() + DIGEST_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&body);
    out.extend_from_slice(Md5::digest(&body).as_slice());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    const VECTOR: &str = "f3899ac20a03706b311a0908001a0568656c6c6f1a0908001a05776f726c64f5fb92b07d5dc986bb5915e9657557aa";

    #[test]
    fn official_test_vector() {
        let users = deaggregate(&hex(VECTOR)).expect("vector is an aggregate");
        let data: Vec<&[u8]> = users.iter().map(|u| u.data.as_slice()).collect();
        assert_eq!(data, vec![b"hello".as_slice(), b"world".as_slice()]);
        assert!(
            users
                .iter()
                .all(|u| u.partition_key == "pk1" && u.explicit_hash_key.is_none())
        );
    }

    #[test]
    fn aggregate_reproduces_the_vector() {
        let users = deaggregate(&hex(VECTOR)).unwrap();
        assert_eq!(aggregate(&users), hex(VECTOR));
    }

    #[test]
    fn failed_checks_pass_through() {
        let good = hex(VECTOR);
        let mut bad_md5 = good.clone();
        let last = bad_md5.len() - 1;
        bad_md5[last] ^= 1;
        let mut bad_magic = good.clone();
        bad_magic[0] = 0;
        let only_digest = [&MAGIC[..], &[0u8; 16]].concat();
        let mut garbage = MAGIC.to_vec();
        garbage.extend_from_slice(&[0xff, 0xff, 0xff]);
        garbage.extend_from_slice(Md5::digest([0xff, 0xff, 0xff]).as_slice());
        for (name, data) in [
            ("short", vec![0xF3, 0x89]),
            ("bad md5", bad_md5),
            ("bad magic", bad_magic),
            ("nothing beyond digest", only_digest),
            ("protobuf does not parse", garbage),
            ("plain json", br#"{"a":1}"#.to_vec()),
        ] {
            assert_eq!(deaggregate(&data), None, "{name}");
        }
    }

    #[test]
    fn out_of_range_key_index_passes_through() {
        let mut body = Vec::new();
        put_bytes(&mut body, 1, b"pk");
        let mut rec = Vec::new();
        put_varint(&mut rec, 1 << 3);
        put_varint(&mut rec, 5);
        put_bytes(&mut rec, 3, b"x");
        put_bytes(&mut body, 3, &rec);
        let data = [&MAGIC[..], &body, Md5::digest(&body).as_slice()].concat();
        assert_eq!(deaggregate(&data), None);
    }

    #[test]
    fn record_positions() {
        use crate::position::RecordPosition;
        let record = RawRecord {
            data: hex(VECTOR),
            position: RecordPosition {
                stream: "s".into(),
                shard_id: "shardId-000000000000".into(),
                sequence_number: "4959".into(),
                sub_sequence_number: 0,
                partition_key: Some("outer".into()),
                arrival_time: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            },
        };
        let out: Vec<RawRecord> = deaggregate_record(record.clone()).collect();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].position.sub_sequence_number, 1);
        assert_eq!(out[1].position.sequence_number, "4959");
        assert_eq!(out[1].position.partition_key.as_deref(), Some("pk1"));
        assert_eq!(out[1].position.arrival_time, record.position.arrival_time);
        let plain = RawRecord {
            data: b"x".to_vec(),
            ..record
        };
        assert_eq!(
            deaggregate_record(plain.clone()).collect::<Vec<_>>(),
            vec![plain]
        );
    }
}
