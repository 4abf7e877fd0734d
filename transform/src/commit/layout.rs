//! What alarmlake keeps inside a lake besides the tables: everything under `_alarmlake/`, which
//! no table path can start with (table folders are named after tables), so readers that glob
//! `<table>/**` never see it.

/// Consumers' checkpoints and leases, when they live in the lake (the default):
/// `_alarmlake/checkpoints/<app>/<stream>/<shard>.json`.
pub const CHECKPOINTS: &str = "_alarmlake/checkpoints";

/// Where `consume --check` writes and deletes its probe object.
pub const PROBES: &str = "_alarmlake/check";

/// Compaction's lock object.
pub(crate) const COMPACTION_LOCK: &str = "_alarmlake/compaction/lock.json";

/// The checkpoints of one application's consumers of one stream, relative to the lake root.
pub fn checkpoints_of(app: &str, stream: &str) -> String {
    format!("{CHECKPOINTS}/{app}/{stream}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_s_checkpoints_are_under_the_lake_s_checkpoint_folder() {
        assert_eq!(
            checkpoints_of("alarmlake", "alarm-events"),
            "_alarmlake/checkpoints/alarmlake/alarm-events"
        );
    }
}
