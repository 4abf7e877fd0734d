//! Which shard a partition key goes to: Kinesis hashes the key with MD5 into a 128-bit number
//! and picks the open shard whose hash key range holds it. The load generator needs this to
//! pace each shard within its limits and to put only one shard's records in a KPL aggregate.

use alarmlake_ingest::kinesis::{Kinesis, KinesisError};
use md5::{Digest, Md5};

/// The open shards of a stream, by hash key range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardMap {
    /// (first hash key, last hash key, shard id), sorted.
    ranges: Vec<(u128, u128, String)>,
}

/// The 128-bit hash of a partition key.
pub fn hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

impl ShardMap {
    pub fn new(mut ranges: Vec<(u128, u128, String)>) -> ShardMap {
        ranges.sort();
        ShardMap { ranges }
    }

    /// The open shards of `kinesis`'s stream.
    pub async fn of_stream(kinesis: &Kinesis) -> Result<ShardMap, KinesisError> {
        let ranges = kinesis.open_hash_ranges().await?;
        Ok(ShardMap::new(
            ranges
                .into_iter()
                .map(|r| (r.first, r.last, r.shard_id))
                .collect(),
        ))
    }

    #[cfg(test)]
    pub fn shards(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().map(|(_, _, id)| id.as_str())
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// The index (in [`ShardMap::shards`] order) of the shard a key goes to.
    pub fn index_of(&self, partition_key: &str) -> usize {
        let hash = hash_key(partition_key);
        let at = self.ranges.partition_point(|(_, last, _)| *last < hash);
        at.min(self.ranges.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_to_the_shard_whose_range_holds_their_hash() {
        let half = u128::MAX / 2;
        let map = ShardMap::new(vec![
            (half + 1, u128::MAX, "shardId-1".into()),
            (0, half, "shardId-0".into()),
        ]);
        assert_eq!(map.shards().collect::<Vec<_>>(), ["shardId-0", "shardId-1"]);
        for key in ["home-0001", "home-0002", "a", "zzz"] {
            let expected = usize::from(hash_key(key) > half);
            assert_eq!(map.index_of(key), expected, "{key}");
        }
        assert_eq!(hash_key("a"), 0x0cc1_75b9_c0f1_b6a8_31c3_99e2_6977_2661);
    }
}
