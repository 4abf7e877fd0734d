//! Deterministic file names: the same rows from the same place in the stream always get the
//! same name, so a batch's files can be named in an intent before they are written, and a
//! replay after a crash overwrites instead of duplicating.

use md5::{Digest, Md5};

use crate::positions::Position;

/// Longest source component kept as it is; longer ones are shortened with a hash.
const MAX_SOURCE_LEN: usize = 64;

/// Keeps `[A-Za-z0-9._-]` and escapes every other byte as `%XX`.
fn safe_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name of the file whose first row is at `first`:
/// `<source>.<stream tag>-<sequence>-<sub>-<index>.parquet`, where source is the shard or file
/// id and the stream tag 8 hex digits of the stream's hash.
///
/// *Why the stream tag:* a shard id or a line number alone repeats across streams and inputs:
/// two streams into one lake both have `shardId-000000000000`, and every stdin run starts at
/// line 1. Without the tag, their files of the same hour replaced each other.
pub fn file_name(first: &Position) -> String {
    let mut source = safe_component(&first.shard_id);
    if source.len() > MAX_SOURCE_LEN {
        let digest = Md5::digest(first.shard_id.as_bytes());
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        source = format!("{}~{hash}", &source[..MAX_SOURCE_LEN - 17]);
    }
    let sequence = safe_component(&first.sequence_number);
    let tag: String = Md5::digest(first.stream.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{source}.{tag}-{sequence}-{}-{}.parquet",
        first.sub_sequence_number, first.event_index
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(shard: &str, seq: &str) -> Position {
        Position {
            stream: "s".into(),
            shard_id: shard.into(),
            sequence_number: seq.into(),
            sub_sequence_number: 2,
            event_index: 3,
        }
    }

    #[test]
    fn names_are_deterministic_and_safe() {
        // 03c7c0ac: the first 4 bytes of md5("s").
        assert_eq!(
            file_name(&at("shardId-000000000001", "4959")),
            "shardId-000000000001.03c7c0ac-4959-2-3.parquet"
        );
        let from_file = file_name(&at("/var/log/../alarm.log", "17"));
        assert_eq!(
            from_file,
            "%2Fvar%2Flog%2F..%2Falarm.log.03c7c0ac-17-2-3.parquet"
        );
        assert!(!from_file.contains('/'));
        let long = "x/".repeat(100);
        let a = file_name(&at(&long, "1"));
        assert!(a.len() < 100 && !a.contains('/'), "{a}");
        assert_eq!(a, file_name(&at(&long, "1")));
        assert_ne!(
            a,
            file_name(&at(&format!("{long}y"), "1")),
            "different sources, different names"
        );
        assert!(
            file_name(&at(".hidden", "1")).starts_with("%2Ehidden"),
            "no hidden files"
        );
    }

    #[test]
    fn the_same_place_in_two_streams_gets_two_names() {
        let mut other = at("shardId-000000000001", "4959");
        other.stream = "another-stream".into();
        assert_ne!(
            file_name(&at("shardId-000000000001", "4959")),
            file_name(&other)
        );
    }
}
