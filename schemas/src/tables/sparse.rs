//! Column groups that most rows leave empty.
//!
//! `alarm_events` has about sixty columns, and each message kind fills only its own group: a
//! keypad row leaves the RF, LRR and expander columns null. Appending those nulls one row at a
//! time was most of the cost of building a batch, so a group is padded with nulls in bulk,
//! only when a row of its kind arrives or the batch is finished.

use arrow::array::ArrayRef;

/// A set of column builders that can be padded with nulls and finished together.
pub trait ColumnGroup {
    fn with_capacity(rows: usize) -> Self;
    fn append_nulls(&mut self, n: usize);
    fn finish_into(&mut self, columns: &mut Vec<ArrayRef>);
}

/// A column group and how many rows it holds.
pub struct Sparse<G> {
    group: G,
    filled: usize,
}

impl<G: ColumnGroup> Sparse<G> {
    pub fn with_capacity(rows: usize) -> Self {
        Sparse {
            group: G::with_capacity(rows),
            filled: 0,
        }
    }

    /// The group's builders, ready to take row `row` (0-based) of the batch.
    pub fn row(&mut self, row: usize) -> &mut G {
        if row > self.filled {
            self.group.append_nulls(row - self.filled);
        }
        self.filled = row + 1;
        &mut self.group
    }

    /// Pads the group to `rows` rows and appends its finished columns.
    pub fn finish_into(&mut self, rows: usize, columns: &mut Vec<ArrayRef>) {
        if rows > self.filled {
            self.group.append_nulls(rows - self.filled);
        }
        self.filled = 0;
        self.group.finish_into(columns);
    }
}
