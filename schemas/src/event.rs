//! Decoded events and the outcome of decoding one record.

use chrono::{DateTime, Utc};

use crate::alarmdecoder::AlarmEvent;
use crate::camera::CameraMedia;
use crate::drift::Extra;
use crate::mode::{BulkRecord, ModeEvent};
use crate::reject::Rejected;
use crate::table::Table;

/// The typed content of an event; each kind goes to its own lake table.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Alarm(AlarmEvent),
    Mode(ModeEvent),
    Bulk(BulkRecord),
    Camera(CameraMedia),
}

impl EventBody {
    pub fn table(&self) -> Table {
        match self {
            EventBody::Alarm(_) => Table::AlarmEvents,
            EventBody::Mode(_) => Table::ModeEvents,
            EventBody::Bulk(_) => Table::BulkRecords,
            EventBody::Camera(_) => Table::CameraMedia,
        }
    }
}

/// One event decoded from a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Index of the event inside its record: with the record's position, the event's identity.
    pub index: u32,
    /// The home or panel: MODE's homeId, or the record's partition key or configured site.
    pub site: String,
    /// When the event happened, in UTC; the arrival time when the format carries no time.
    pub event_time: DateTime<Utc>,
    pub body: EventBody,
    /// Fields kept outside the typed columns (see [`crate::drift`]); boxed, as most events
    /// have none.
    pub extra: Option<Box<Extra>>,
}

/// What one unit of a record (a line, a JSON value, a notification entry) became. Every unit
/// becomes exactly one outcome, which is what makes the counting invariant checkable:
/// units read = events + rejected + chatter.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Event(Event),
    Rejected {
        index: u32,
        site: String,
        rejected: Rejected,
    },
    /// A status line or notification with no event in it, such as `!Ready` or `s3:TestEvent`.
    Chatter {
        index: u32,
        kind: &'static str,
    },
}

/// Running counts of outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: u64,
    pub rejected: u64,
    pub chatter: u64,
    /// Fields of events that no decoder knows, kept in `extra`.
    pub unknown_fields: u64,
    /// Known fields whose value had an unusable type, kept in `extra` instead.
    pub type_changed_fields: u64,
    /// Records read again after a restart (to recover rows held back in late hours) whose
    /// outcomes the run that first read them counted: not counted again above.
    pub replayed: u64,
}

impl Tally {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Event(event) => {
                self.events += 1;
                if let Some(extra) = &event.extra {
                    self.unknown_fields += u64::from(extra.unknown_fields);
                    self.type_changed_fields += u64::from(extra.type_changed_fields);
                }
            }
            Outcome::Rejected { .. } => self.rejected += 1,
            Outcome::Chatter { .. } => self.chatter += 1,
        }
    }

    /// Adds another tally's counts.
    pub fn add_all(&mut self, other: &Tally) {
        self.events += other.events;
        self.rejected += other.rejected;
        self.chatter += other.chatter;
        self.unknown_fields += other.unknown_fields;
        self.type_changed_fields += other.type_changed_fields;
        self.replayed += other.replayed;
    }

    pub fn total(&self) -> u64 {
        self.events + self.rejected + self.chatter
    }
}
