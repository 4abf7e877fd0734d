//! A group of boolean columns filled together, one row at a time: the keypad's fifteen status
//! flags and an RF message's six bits.
//!
//! *Why:* fifteen `BooleanBuilder`s meant fifteen bit appends and fifteen validity appends per
//! keypad row, one of the larger leaves in the consumer's profile (`benches/RESULTS.md`). Here a
//! row is one `u16` push and one validity append, and the columns are cut out of those words in
//! bulk, 64 rows at a time, when the batch is finished. The flags of a row are all present or
//! all null (a row of another kind), so the columns share one validity buffer.

use std::sync::Arc;

use arrow::array::builder::NullBufferBuilder;
use arrow::array::{ArrayRef, BooleanArray};
use arrow::buffer::BooleanBuffer;

/// `N` boolean columns (at most 16), held as one word per row until finished.
pub struct FlagColumns<const N: usize> {
    rows: Vec<u16>,
    validity: NullBufferBuilder,
}

impl<const N: usize> FlagColumns<N> {
    const FITS: () = assert!(N <= 16, "a row's flags are one u16");

    pub fn with_capacity(rows: usize) -> Self {
        let () = Self::FITS;
        FlagColumns {
            rows: Vec::with_capacity(rows),
            validity: NullBufferBuilder::new(rows),
        }
    }

    /// Appends a row whose flags are `flags`, flag `i` in column `i`.
    pub fn append(&mut self, flags: [bool; N]) {
        let word = flags
            .iter()
            .enumerate()
            .fold(0u16, |word, (i, &on)| word | (u16::from(on) << i));
        self.rows.push(word);
        self.validity.append_non_null();
    }

    /// Appends `n` rows where every flag is null.
    pub fn append_nulls(&mut self, n: usize) {
        self.rows.resize(self.rows.len() + n, 0);
        self.validity.append_n_nulls(n);
    }

    /// The `N` columns of every row appended so far, in order; the builder starts empty again,
    /// keeping its row buffer for the next batch (a shard's writer reuses its builders).
    pub fn finish_into(&mut self, columns: &mut Vec<ArrayRef>) {
        let nulls = self.validity.finish();
        let rows = &self.rows;
        columns.extend((0..N).map(|flag| {
            let values = BooleanBuffer::collect_bool(rows.len(), |row| rows[row] >> flag & 1 == 1);
            Arc::new(BooleanArray::new(values, nulls.clone())) as ArrayRef
        }));
        self.rows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    #[test]
    fn each_flag_is_its_own_column_and_null_rows_are_null_in_all() {
        let mut flags = FlagColumns::<3>::with_capacity(0);
        flags.append([true, false, true]);
        flags.append_nulls(2);
        flags.append([false, true, true]);
        // Past one 64-row word of the finished bitmaps.
        for row in 0..70 {
            flags.append([row % 2 == 0, row % 3 == 0, false]);
        }
        let mut columns = Vec::new();
        flags.finish_into(&mut columns);
        assert_eq!(columns.len(), 3);
        let column = |i: usize| columns[i].as_boolean().clone();
        let read = |i: usize, row: usize| {
            let c = column(i);
            c.is_valid(row).then(|| c.value(row))
        };
        assert_eq!(
            (read(0, 0), read(1, 0), read(2, 0)),
            (Some(true), Some(false), Some(true))
        );
        for row in [1, 2] {
            assert_eq!(
                (read(0, row), read(1, row), read(2, row)),
                (None, None, None)
            );
        }
        assert_eq!(
            (read(0, 3), read(1, 3), read(2, 3)),
            (Some(false), Some(true), Some(true))
        );
        for row in 0..70 {
            let at = 4 + row;
            assert_eq!(read(0, at), Some(row % 2 == 0), "row {at}");
            assert_eq!(read(1, at), Some(row % 3 == 0), "row {at}");
            assert_eq!(read(2, at), Some(false), "row {at}");
        }
        assert!(columns.iter().all(|c| c.len() == 74 && c.null_count() == 2));

        // Finishing starts a new batch.
        flags.append([true, true, true]);
        let mut again = Vec::new();
        flags.finish_into(&mut again);
        assert!(again.iter().all(|c| c.len() == 1 && c.null_count() == 0));
    }
}
