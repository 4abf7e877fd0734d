//! Flush rounds: the shards of one process that flush at the same tick of the flush clock
//! commit to each table together, in one commit per table.
//!
//! *Why:* grouping whatever happens to be queued (see [`super::LakeTables`]) is not enough.
//! The shards of a round reach their commit spread over a second or more (each encodes its
//! files, saves its intent and writes its files first), while a commit takes tens of
//! milliseconds, so a 64-shard consumer still made dozens of commits per table per interval,
//! and every reader replays each one. A round knows who is coming: a shard joins the round of
//! the tick its buffer falls due at as soon as it buffers a record, names its tables when it
//! publishes, and the commit of a table waits until every member that named the table has
//! queued its part (or left), at most [`Rounds::new`]'s wait.
//!
//! Members are counted, never trusted to finish: a member that fails or flushes early for
//! another reason (size) leaves when its [`Member`] is dropped, so a round never waits on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use alarmlake_schemas::Table;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The rounds of one process, by tick.
#[derive(Debug)]
pub struct Rounds {
    rounds: Mutex<BTreeMap<u128, Round>>,
    changed: Notify,
    /// How long a table's commit waits for the round's late members.
    wait: Duration,
}

#[derive(Debug, Default)]
struct Round {
    /// Members still in the round.
    members: usize,
    /// Members that have not named their tables yet.
    undeclared: usize,
    /// Per table, the members that named it and have not queued their part yet.
    waiting: BTreeMap<Table, usize>,
}

/// One shard's place in a round, from its first buffered record to its flush.
#[derive(Debug)]
pub struct Member {
    rounds: Arc<Rounds>,
    tick: u128,
    /// The tables named and not yet queued; `None` until named.
    tables: Option<BTreeSet<Table>>,
}

impl Rounds {
    /// Rounds whose commits wait at most `wait` for late members.
    pub fn new(wait: Duration) -> Rounds {
        Rounds {
            rounds: Mutex::new(BTreeMap::new()),
            changed: Notify::new(),
            wait,
        }
    }

    /// Joins the round of flush tick `tick`.
    pub fn join(self: &Arc<Self>, tick: u128) -> Member {
        let mut rounds = self.lock();
        let round = rounds.entry(tick).or_default();
        round.members += 1;
        round.undeclared += 1;
        Member {
            rounds: self.clone(),
            tick,
            tables: None,
        }
    }

    /// Waits until every member of `tick`'s round that may commit to `table` has queued its
    /// part, or the rounds' wait has passed.
    pub(crate) async fn ready(&self, tick: u128, table: Table) {
        let deadline = Instant::now() + self.wait;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let done = self.lock().get(&tick).is_none_or(|round| {
                round.undeclared == 0 && round.waiting.get(&table).is_none_or(|n| *n == 0)
            });
            if done {
                return;
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u128, Round>> {
        self.rounds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Member {
    /// The flush tick of the member's round.
    pub fn tick(&self) -> u128 {
        self.tick
    }

    /// Names the tables this member's flush commits to.
    pub(crate) fn declare(&mut self, tables: BTreeSet<Table>) {
        let mut rounds = self.rounds.lock();
        if let Some(round) = rounds.get_mut(&self.tick)
            && self.tables.is_none()
        {
            round.undeclared -= 1;
            for table in &tables {
                *round.waiting.entry(*table).or_default() += 1;
            }
        }
        drop(rounds);
        self.tables = Some(tables);
        self.rounds.changed.notify_waiters();
    }

    /// Notes that this member's part of `table` is queued.
    pub(crate) fn queued(&mut self, table: Table) {
        let Some(tables) = &mut self.tables else {
            return;
        };
        if tables.remove(&table) {
            if let Some(round) = self.rounds.lock().get_mut(&self.tick)
                && let Some(waiting) = round.waiting.get_mut(&table)
            {
                *waiting = waiting.saturating_sub(1);
            }
            self.rounds.changed.notify_waiters();
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut rounds = self.rounds.lock();
        if let Some(round) = rounds.get_mut(&self.tick) {
            match &self.tables {
                None => round.undeclared -= 1,
                Some(tables) => {
                    for table in tables {
                        if let Some(waiting) = round.waiting.get_mut(table) {
                            *waiting = waiting.saturating_sub(1);
                        }
                    }
                }
            }
            round.members -= 1;
            if round.members == 0 {
                rounds.remove(&self.tick);
            }
        }
        drop(rounds);
        self.rounds.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_table_is_ready_once_every_member_naming_it_has_queued() {
        let rounds = Arc::new(Rounds::new(Duration::from_secs(30)));
        let mut a = rounds.join(7);
        let mut b = rounds.join(7);
        let c = rounds.join(7);
        let ready = |table| {
            let rounds = rounds.clone();
            tokio::spawn(async move { rounds.ready(7, table).await })
        };
        let alarms = ready(Table::AlarmEvents);
        a.declare(BTreeSet::from([Table::AlarmEvents, Table::ModeEvents]));
        a.queued(Table::AlarmEvents);
        b.declare(BTreeSet::from([Table::ModeEvents]));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!alarms.is_finished(), "c has not named its tables yet");
        drop(c);
        tokio::time::timeout(Duration::from_secs(5), alarms)
            .await
            .expect("ready once c left")
            .unwrap();
        let modes = ready(Table::ModeEvents);
        b.queued(Table::ModeEvents);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!modes.is_finished(), "a has not queued mode_events");
        a.queued(Table::ModeEvents);
        tokio::time::timeout(Duration::from_secs(5), modes)
            .await
            .expect("ready once a queued")
            .unwrap();
        drop((a, b));
        assert!(
            rounds.lock().is_empty(),
            "a round ends with its last member"
        );
    }

    #[tokio::test]
    async fn a_late_member_is_waited_for_at_most_the_rounds_wait() {
        let rounds = Arc::new(Rounds::new(Duration::from_millis(100)));
        let _late = rounds.join(3);
        let started = Instant::now();
        rounds.ready(3, Table::AlarmEvents).await;
        assert!(started.elapsed() >= Duration::from_millis(100));
        // Another round, or none, does not wait.
        rounds.ready(4, Table::AlarmEvents).await;
    }
}
