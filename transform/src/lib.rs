//! Turns decoded event batches into Hive-partitioned Parquet files on an object store.
