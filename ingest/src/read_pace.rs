//! When a shard reader asks for its next GetRecords page.
//!
//! Kinesis allows five GetRecords calls per second per shard, and that budget is shared by every
//! application reading the stream. A reader that is behind uses its share to catch up; a reader
//! at the tip of the shard waits a second between calls, as the Kinesis Client Library and
//! Lambda's pollers do. *Why not poll at full rate at the tip:* with a trickle of records (a
//! home's panel sends a keypad message every few seconds) every answer holds a record or two, so
//! a reader that waited only after empty answers made five calls a second per shard for ever:
//! the whole shard's read budget, taken from the stream's other readers, and about a millisecond
//! of SDK work per call. A second's wait adds at most a second to a record's way to the lake,
//! whose files are written once a minute by default.

use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The shortest time between two calls of one reader (five calls a second).
pub const MIN_CALL_INTERVAL: Duration = Duration::from_millis(200);

/// How long a reader at the tip of its shard waits before asking again.
pub const IDLE_WAIT: Duration = Duration::from_secs(1);

/// What a reader does once it has handled a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPage {
    /// More is waiting: ask again as soon as the call interval allows.
    ReadOn,
    /// At the tip: wait [`IDLE_WAIT`] before asking again.
    WaitAtTip,
    /// Draining, and the shard has nothing more: stop.
    Drained,
}

/// The next step after a page of `records` records that the stream said was `behind` ms behind
/// its tip (`None`: not said, read as at the tip). A draining reader never waits: it asks again
/// at once, and stops at the first empty page at the tip.
pub fn after_page(records: usize, behind: Option<i64>, drain: bool) -> AfterPage {
    let at_tip = behind.unwrap_or(0) == 0;
    match (at_tip, records == 0, drain) {
        (false, _, _) => AfterPage::ReadOn,
        (true, true, true) => AfterPage::Drained,
        (true, false, true) => AfterPage::ReadOn,
        (true, _, false) => AfterPage::WaitAtTip,
    }
}

/// Keeps one reader's calls at least [`MIN_CALL_INTERVAL`] apart.
#[derive(Debug, Default)]
pub struct CallPacer {
    last_call: Option<Instant>,
}

impl CallPacer {
    /// Waits until the next call is allowed and notes it as made; returns whether a stop was
    /// asked meanwhile (the call is then not made).
    pub async fn wait(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        if let Some(last) = self.last_call {
            let since = last.elapsed();
            if since < MIN_CALL_INTERVAL && sleep_or_stop(stop, MIN_CALL_INTERVAL - since).await {
                return true;
            }
        }
        self.last_call = Some(Instant::now());
        false
    }
}

/// Sleeps for `duration` unless asked to stop first; returns whether a stop was asked.
pub async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(duration) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_behind_reads_on_whatever_the_page_held() {
        for drain in [false, true] {
            assert_eq!(
                after_page(10_000, Some(86_400_000), drain),
                AfterPage::ReadOn
            );
            // Kinesis may answer an empty page before the tip (a gap in the shard).
            assert_eq!(after_page(0, Some(5_000), drain), AfterPage::ReadOn);
        }
    }

    #[test]
    fn a_reader_at_the_tip_waits_even_with_records_in_hand() {
        assert_eq!(after_page(2, Some(0), false), AfterPage::WaitAtTip);
        assert_eq!(after_page(0, Some(0), false), AfterPage::WaitAtTip);
        assert_eq!(after_page(0, None, false), AfterPage::WaitAtTip);
    }

    #[test]
    fn a_draining_reader_never_waits_and_stops_at_the_first_empty_page_at_the_tip() {
        assert_eq!(after_page(2, Some(0), true), AfterPage::ReadOn);
        assert_eq!(after_page(0, Some(0), true), AfterPage::Drained);
        assert_eq!(after_page(0, None, true), AfterPage::Drained);
    }
}
