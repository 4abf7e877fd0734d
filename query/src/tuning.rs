//! How DataFusion is set up to read this lake: many small hour files of 80 columns, written by
//! one writer that never adds bloom filters. Each choice here was measured with benchmark P2
//! (`benches/p2.sh`, figures in `benches/RESULTS.md`).
//!
//! Every option can still be changed: `DATAFUSION_*` environment variables (the option's key in
//! upper case, dots as underscores, as in datafusion-cli) win over these defaults. `SET` changes
//! execution options for the rest of a session; the Parquet reader options are copied into each
//! table when the session registers it, so for those only the environment works.

use datafusion::common::config::ConfigOptions;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionConfig;

/// File listings are cached for the session, so a query does not re-list S3 (DataFusion lists
/// on every query unless a cache is configured; the default cache holds only 1 MiB).
pub const LIST_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Parsed Parquet footers are cached for the session. DataFusion's default (50 MiB) holds about
/// a thousand of this lake's footers, so on a lake of 1,440 hour files an LRU cache of that
/// size let every scan evict what the next one needed, and each query parsed every footer again.
pub const METADATA_CACHE_BYTES: usize = 512 * 1024 * 1024;

/// The defaults this lake wants, as `(key, value)` pairs of DataFusion's options.
const DEFAULTS: &[(&str, &str)] = &[
    // Statistics of every column of every file are merged for each query: over a lake of hour
    // files (1,440 files of 80 columns in P2) that cost more than the scans it could save
    // (0.52 s against 0.23 s for a daily count). Partition pruning needs none.
    ("datafusion.execution.collect_statistics", "false"),
    // The writer adds no bloom filters, so looking for them is a wasted read per file.
    ("datafusion.execution.parquet.bloom_filter_on_read", "false"),
    // Page indexes prune pages inside big files; an hour file has one page per column, and
    // reading and evaluating its index took longer than the scan it could skip (a filter on
    // message_type over 1,440 files: 0.48 s with, 0.30 s without).
    ("datafusion.execution.parquet.enable_page_index", "false"),
];

/// The session's options: DataFusion's defaults, then this lake's, then the environment's.
pub fn session_config() -> Result<SessionConfig, DataFusionError> {
    let mut options = ConfigOptions::from_env()?;
    for (key, value) in DEFAULTS {
        if std::env::var_os(env_name(key)).is_none() {
            options.set(key, value)?;
        }
    }
    Ok(SessionConfig::from(options))
}

/// The environment variable DataFusion reads for `key`.
fn env_name(key: &str) -> String {
    key.to_uppercase().replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_known_option() {
        let mut options = ConfigOptions::default();
        for (key, value) in DEFAULTS {
            options.set(key, value).expect(key);
        }
        assert!(!options.execution.collect_statistics);
        assert!(!options.execution.parquet.bloom_filter_on_read);
        assert!(!options.execution.parquet.enable_page_index);
    }

    #[test]
    fn environment_names_follow_datafusion() {
        assert_eq!(
            env_name("datafusion.execution.parquet.bloom_filter_on_read"),
            "DATAFUSION_EXECUTION_PARQUET_BLOOM_FILTER_ON_READ"
        );
    }
}
