//! Sources of raw records (Kinesis shards, files, ser2sock) with checkpoints and leases.
