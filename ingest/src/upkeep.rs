//! Lake upkeep inside the consumer: compaction every `compact_every`, retention (`retain`), and
//! a daily vacuum of the files those leave behind, on a background schedule, so a long-running
//! consumer needs no cron job next to it.
//!
//! Each run happens on a blocking thread, so merging files never delays the shard readers,
//! and it is the same code as `alarmlake compact`, `retain` and `vacuum`: each step is one
//! Delta commit per partition or table, the lake's compaction lock makes several consumers of
//! one lake take turns, and vacuum keeps the files named in pending intents (this consumer's or
//! another's). A run cut short by shutdown leaves at most files no commit references, which a
//! later vacuum deletes.

use std::time::Duration as StdDuration;

use alarmlake_schemas::Table;
use alarmlake_transform::Lake;
use alarmlake_transform::compaction::CompactionConfig;
use alarmlake_transform::maintenance::{self, CheckpointLocation};
use chrono::{Duration, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// How far back a scheduled compaction looks: late events older than this wait for a manual
/// `alarmlake compact`, so that each run lists only a few days of partitions.
const LOOKBACK: Duration = Duration::days(3);

/// How often retention runs when compaction is not scheduled (or less often).
const RETENTION_EVERY: Duration = Duration::hours(1);

/// How often the schedule vacuums, when it runs at all.
const VACUUM_EVERY: StdDuration = StdDuration::from_secs(24 * 3600);

/// The schedule's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Upkeep {
    /// Compact closed hours this often; `None`: never.
    pub compact_every: Option<Duration>,
    pub compaction: CompactionConfig,
    /// Delete hours older than this; `None`: keep everything.
    pub retain: Option<Duration>,
    /// Vacuum deletes files unreferenced for longer than this; `None`: Delta's 7 days.
    pub vacuum_retain: Option<Duration>,
}

impl Upkeep {
    fn period(&self) -> Option<Duration> {
        match (self.compact_every, self.retain) {
            (Some(every), Some(_)) => Some(every.min(RETENTION_EVERY)),
            (Some(every), None) => Some(every),
            (None, Some(_)) => Some(RETENTION_EVERY),
            (None, None) => None,
        }
    }

    /// What `--check` prints.
    pub fn describe(&self) -> String {
        let compaction = match self.compact_every {
            Some(every) => format!(
                "compaction every {} (hours ended {} ago, files of {} MB)",
                human(every),
                human(self.compaction.older_than),
                self.compaction.target_bytes / 1_000_000
            ),
            None => "no scheduled compaction".into(),
        };
        let retention = match self.retain {
            Some(keep) => format!("retention of {}", human(keep)),
            None => "no retention (data kept forever)".into(),
        };
        let vacuum = match self.period() {
            Some(_) => format!(
                "daily vacuum of files unreferenced for {}",
                human(self.vacuum_retain.unwrap_or(maintenance::VACUUM_RETAIN))
            ),
            None => "no scheduled vacuum".into(),
        };
        format!("{compaction}; {retention}; {vacuum}")
    }
}

fn human(duration: Duration) -> String {
    let seconds = duration.num_seconds();
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Starts the schedule, if any; it ends when `stop` becomes true.
pub(crate) fn spawn(
    upkeep: Upkeep,
    lake: Lake,
    checkpoints: Vec<CheckpointLocation>,
    mut stop: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let period = upkeep.period()?.to_std().ok()?;
    Some(tokio::spawn(async move {
        let mut last_compaction = tokio::time::Instant::now();
        let mut last_vacuum: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            let compact_now = upkeep.compact_every.is_some_and(|every| {
                every.to_std().is_ok_and(|every| {
                    last_compaction.elapsed() + StdDuration::from_secs(1) >= every
                })
            });
            if compact_now {
                last_compaction = tokio::time::Instant::now();
            }
            let vacuum_now = last_vacuum.is_none_or(|last| last.elapsed() >= VACUUM_EVERY);
            if vacuum_now {
                last_vacuum = Some(tokio::time::Instant::now());
            }
            let (upkeep, lake, checkpoints) = (upkeep.clone(), lake.clone(), checkpoints.clone());
            let handle = tokio::runtime::Handle::current();
            let run = tokio::task::spawn_blocking(move || {
                handle.block_on(run_once(
                    &upkeep,
                    &lake,
                    &checkpoints,
                    compact_now,
                    vacuum_now,
                ));
            });
            if let Err(e) = run.await {
                warn!(error = %e, "lake upkeep task failed");
            }
        }
    }))
}

async fn run_once(
    upkeep: &Upkeep,
    lake: &Lake,
    checkpoints: &[CheckpointLocation],
    compact: bool,
    vacuum: bool,
) {
    if let Some(keep) = upkeep.retain {
        match maintenance::retain_lake(lake, &Table::ALL, keep, Utc::now(), false).await {
            Ok(expired) if expired.is_empty() => {}
            Ok(expired) => {
                let files: usize = expired.iter().map(|p| p.files.len()).sum();
                info!(
                    partitions = expired.len(),
                    files, "retention: removed expired partitions"
                );
            }
            Err(e) => warn!(error = %e, "retention failed; will try again"),
        }
    }
    if compact {
        let config = CompactionConfig {
            since: Some(Utc::now() - LOOKBACK),
            ..upkeep.compaction.clone()
        };
        let owner = format!("alarmlake consume, pid {}", std::process::id());
        match maintenance::compact_lake(lake, &Table::ALL, &config, false, &owner, |_, _| {}).await
        {
            Ok(run) if run.held_by.is_some() => {
                info!("compaction: another compactor holds the lake's lock; skipping this turn");
            }
            Ok(run) => info!(
                files_in = run.done.files_in,
                files_out = run.done.files_out,
                duplicates = run.done.duplicates,
                "compaction done"
            ),
            Err(e) => warn!(error = %e, "compaction failed; will try again"),
        }
    }
    if vacuum {
        let retain = upkeep.vacuum_retain.unwrap_or(maintenance::VACUUM_RETAIN);
        match maintenance::vacuum_lake(lake, &Table::ALL, retain, checkpoints, false).await {
            Ok(done) => info!(
                files = done.iter().map(|v| v.deleted.len()).sum::<usize>(),
                "vacuum done"
            ),
            Err(e) => warn!(error = %e, "vacuum failed; will try again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_as_often_as_its_most_frequent_task() {
        let upkeep = |compact: Option<i64>, retain: Option<i64>| Upkeep {
            compact_every: compact.map(Duration::minutes),
            compaction: CompactionConfig::default(),
            retain: retain.map(Duration::days),
            vacuum_retain: None,
        };
        assert_eq!(upkeep(None, None).period(), None);
        assert_eq!(upkeep(Some(30), None).period(), Some(Duration::minutes(30)));
        assert_eq!(
            upkeep(Some(180), Some(30)).period(),
            Some(Duration::hours(1))
        );
        assert_eq!(upkeep(None, Some(30)).period(), Some(Duration::hours(1)));
        let text = upkeep(Some(60), Some(30)).describe();
        assert!(
            text.contains("compaction every 1h") && text.contains("retention of 30d"),
            "{text}"
        );
    }
}
