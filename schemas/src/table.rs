//! The lake's tables, by name. Its own file, with no dependencies, so that the event model
//! (which says which table an event goes to) and the tables' builders (which take events) do
//! not import each other.

use std::fmt;

/// The lake's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    AlarmEvents,
    ModeEvents,
    BulkRecords,
    CameraMedia,
    DeadLetters,
}

impl Table {
    pub const ALL: [Table; 5] = [
        Table::AlarmEvents,
        Table::ModeEvents,
        Table::BulkRecords,
        Table::CameraMedia,
        Table::DeadLetters,
    ];

    /// The table's folder name in the lake and its name in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Table::AlarmEvents => "alarm_events",
            Table::ModeEvents => "mode_events",
            Table::BulkRecords => "bulk_records",
            Table::CameraMedia => "camera_media",
            Table::DeadLetters => "dead_letters",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
