//! The order of buffered rows under a two-key sort (text, then a 64-bit integer such as a
//! timestamp), found in a few linear passes when the rows arrive as long sorted runs.
//!
//! Lake files are sorted by (site, event_time), and an hour file holds each site's rows in one
//! contiguous, time-ordered stretch. After a hash repartition by site, one site's rows therefore
//! arrive as time-ordered runs (per file, per input stream; a repartition may coalesce the end of
//! one stream's run with the start of another's). Rows are grouped by site with a counting sort
//! over the few distinct values, and each site's runs are merged a stretch at a time (see
//! `order_by_number`), so rows are not compared against each other one by one. The answer is
//! correct for any input; unordered input only makes the runs short.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date64Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};

/// One row of the buffered input: (batch, row), the form `interleave` takes.
pub type RowRef = (usize, usize);

/// The sort key columns of one buffered batch.
pub struct KeyColumns<'a> {
    pub text: &'a ArrayRef,
    pub number: &'a ArrayRef,
}

/// Why the fast order does not apply; the caller then sorts with arrow's general kernels.
#[derive(Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A key is null somewhere: null placement follows sort options this path does not model.
    Nulls,
    /// A key column has a type this path does not read.
    Type(DataType),
    /// More batches or rows in a batch than 32-bit positions hold.
    Size,
}

/// Buffered rows in sorted order: stretches of `rows`, one after the other.
pub struct SortedRows {
    /// (number, batch, row) of every row, grouped by text.
    rows: Vec<(i64, u32, u32)>,
    /// The order: ranges of `rows`, each already sorted, to be read one after the other.
    stretches: Vec<Range<usize>>,
}

impl SortedRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Every row, in sorted order, as (batch, row).
    pub fn iter(&self) -> impl Iterator<Item = RowRef> + '_ {
        self.stretches.iter().flat_map(|stretch| {
            self.rows[stretch.clone()]
                .iter()
                .map(|&(_, batch, row)| (batch as usize, row as usize))
        })
    }
}

/// The rows of `batches` in ascending (text, number) order. Ties keep arrival order.
pub fn ascending_order(batches: &[KeyColumns<'_>]) -> Result<SortedRows, Unsupported> {
    if batches.len() > u32::MAX as usize {
        return Err(Unsupported::Size);
    }
    let mut texts = Vec::with_capacity(batches.len());
    let mut numbers = Vec::with_capacity(batches.len());
    for keys in batches {
        if keys.text.null_count() > 0 || keys.number.null_count() > 0 {
            return Err(Unsupported::Nulls);
        }
        if keys.text.len() > u32::MAX as usize {
            return Err(Unsupported::Size);
        }
        texts.push(TextColumn::new(keys.text)?);
        numbers.push(number_values(keys.number)?);
    }

    // Give each distinct text an id, in order of first appearance. Rows of one text come in
    // stretches, so most rows only compare equal to the row before them.
    let mut ids_by_text: HashMap<&[u8], u32> = HashMap::new();
    let mut distinct: Vec<&[u8]> = Vec::new();
    let mut row_ids: Vec<Vec<u32>> = Vec::with_capacity(texts.len());
    for text in &texts {
        let mut ids = Vec::with_capacity(text.len());
        let mut previous: Option<(&[u8], u32)> = None;
        for row in 0..text.len() {
            let value = text.value(row);
            let id = match previous {
                Some((last, id)) if last == value => id,
                _ => *ids_by_text.entry(value).or_insert_with(|| {
                    distinct.push(value);
                    (distinct.len() - 1) as u32
                }),
            };
            previous = Some((value, id));
            ids.push(id);
        }
        row_ids.push(ids);
    }

    // Counting sort by id: every text's rows, in arrival order.
    let mut starts = vec![0usize; distinct.len() + 1];
    for ids in &row_ids {
        for &id in ids {
            starts[id as usize + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let total = starts[distinct.len()];
    let mut rows: Vec<(i64, u32, u32)> = vec![(0, 0, 0); total];
    let mut next = starts.clone();
    for (batch, ids) in row_ids.iter().enumerate() {
        let values = numbers[batch];
        for (row, &id) in ids.iter().enumerate() {
            let slot = &mut next[id as usize];
            rows[*slot] = (values[row], batch as u32, row as u32);
            *slot += 1;
        }
    }
    drop(row_ids);

    let mut text_order: Vec<u32> = (0..distinct.len() as u32).collect();
    text_order.sort_unstable_by_key(|&id| distinct[id as usize]);

    let mut stretches = Vec::new();
    for id in text_order {
        let group = starts[id as usize]..starts[id as usize + 1];
        order_by_number(&rows, group, &mut stretches);
    }
    Ok(SortedRows { rows, stretches })
}

/// Orders one text's rows (`group` of `rows`) by number, keeping arrival order for ties, and
/// appends the stretches to read them in. No row moves.
///
/// The group is cut into its ascending runs, which are then merged a stretch at a time: the run
/// with the smallest head gives every row up to the next-smallest head as one stretch (found by
/// binary search). Runs laid end to end cost one stretch each; runs that interleave cost one
/// stretch per interleaving, never one step per row.
fn order_by_number(
    rows: &[(i64, u32, u32)],
    group: Range<usize>,
    stretches: &mut Vec<Range<usize>>,
) {
    let runs = ascending_runs(&rows[group.clone()], group.start);
    if let [only] = runs.as_slice() {
        stretches.push(only.clone());
        return;
    }
    // Heads ordered by (number, position): positions follow arrival, so ties keep it. Runs are
    // disjoint ranges of `rows`, so a run's start stands for the position of each of its rows
    // in the tie-break below.
    let mut heads: BinaryHeap<Reverse<(i64, usize, usize)>> = runs
        .into_iter()
        .map(|run| Reverse((rows[run.start].0, run.start, run.end)))
        .collect();
    while let Some(Reverse((_, position, end))) = heads.pop() {
        let until = match heads.peek() {
            None => end,
            Some(&Reverse((next_number, next_position, _))) => {
                position
                    + rows[position..end].partition_point(|&(number, _, _)| {
                        (number, position) < (next_number, next_position)
                    })
            }
        };
        stretches.push(position..until);
        if until < end {
            heads.push(Reverse((rows[until].0, until, end)));
        }
    }
}

/// The maximal non-decreasing runs of `group` by number, as ranges offset by `offset`.
fn ascending_runs(group: &[(i64, u32, u32)], offset: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..group.len() {
        if group[i].0 < group[i - 1].0 {
            runs.push(offset + start..offset + i);
            start = i;
        }
    }
    if !group.is_empty() {
        runs.push(offset + start..offset + group.len());
    }
    runs
}

/// A text key column of any of arrow's string layouts.
enum TextColumn<'a> {
    View(&'a datafusion::arrow::array::StringViewArray),
    Small(&'a datafusion::arrow::array::StringArray),
    Large(&'a datafusion::arrow::array::LargeStringArray),
}

impl<'a> TextColumn<'a> {
    fn new(array: &'a ArrayRef) -> Result<Self, Unsupported> {
        match array.data_type() {
            DataType::Utf8View => Ok(TextColumn::View(array.as_string_view())),
            DataType::Utf8 => Ok(TextColumn::Small(array.as_string::<i32>())),
            DataType::LargeUtf8 => Ok(TextColumn::Large(array.as_string::<i64>())),
            other => Err(Unsupported::Type(other.clone())),
        }
    }

    fn len(&self) -> usize {
        match self {
            TextColumn::View(array) => array.len(),
            TextColumn::Small(array) => array.len(),
            TextColumn::Large(array) => array.len(),
        }
    }

    /// The value's bytes: UTF-8 orders the same as its bytes, which is how arrow sorts text.
    fn value(&self, row: usize) -> &'a [u8] {
        match self {
            TextColumn::View(array) => array.value(row).as_bytes(),
            TextColumn::Small(array) => array.value(row).as_bytes(),
            TextColumn::Large(array) => array.value(row).as_bytes(),
        }
    }
}

/// The values of a 64-bit integer, timestamp or date column.
fn number_values(array: &ArrayRef) -> Result<&[i64], Unsupported> {
    Ok(match array.data_type() {
        DataType::Int64 => array.as_primitive::<Int64Type>().values(),
        DataType::Date64 => array.as_primitive::<Date64Type>().values(),
        DataType::Timestamp(TimeUnit::Second, _) => {
            array.as_primitive::<TimestampSecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            array.as_primitive::<TimestampMillisecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            array.as_primitive::<TimestampNanosecondType>().values()
        }
        other => return Err(Unsupported::Type(other.clone())),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Int64Array, StringArray, StringViewArray, TimestampMicrosecondArray,
    };

    use super::*;

    /// The (text, number) pairs of the batches, read in `order`'s order.
    fn read(batches: &[(ArrayRef, ArrayRef)]) -> Vec<(String, i64)> {
        let keys: Vec<KeyColumns<'_>> = batches
            .iter()
            .map(|(text, number)| KeyColumns { text, number })
            .collect();
        let sorted = ascending_order(&keys).expect("supported keys");
        assert_eq!(sorted.len(), sorted.iter().count());
        sorted
            .iter()
            .map(|(batch, row)| {
                let (text, number) = &batches[batch];
                let text = text.as_string_view().value(row).to_string();
                let number = number.as_primitive::<Int64Type>().value(row);
                (text, number)
            })
            .collect()
    }

    fn batch(rows: &[(&str, i64)]) -> (ArrayRef, ArrayRef) {
        let text: StringViewArray = rows.iter().map(|(t, _)| Some(*t)).collect();
        let number: Int64Array = rows.iter().map(|(_, n)| Some(*n)).collect();
        (Arc::new(text), Arc::new(number))
    }

    /// The expected order: a stable sort of the rows in arrival order.
    fn stable_sorted(batches: &[&[(&str, i64)]]) -> Vec<(String, i64)> {
        let mut all: Vec<(String, i64)> = batches
            .iter()
            .flat_map(|rows| rows.iter().map(|(t, n)| (t.to_string(), *n)))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn hour_files_of_several_sites_come_out_by_site_then_time() {
        // Two hour files, each sorted by (site, time), arriving hour by hour.
        let hour0: &[(&str, i64)] = &[("home-b", 1), ("home-b", 5), ("home-c", 2), ("home-a", 3)];
        let hour1: &[(&str, i64)] = &[("home-a", 10), ("home-b", 11), ("home-b", 12)];
        let got = read(&[batch(hour0), batch(hour1)]);
        assert_eq!(got, stable_sorted(&[hour0, hour1]));
    }

    #[test]
    fn streams_interleaved_by_a_repartition_are_merged() {
        // Two input streams (early and late hours) whose batches arrive alternately, and one
        // batch that holds the end of one stream and the start of the other, as a repartition
        // that coalesces its output produces.
        let early_1: &[(&str, i64)] = &[("s", 1), ("s", 2)];
        let late_1: &[(&str, i64)] = &[("s", 100), ("s", 101)];
        let mixed: &[(&str, i64)] = &[("s", 3), ("s", 4), ("s", 102), ("s", 103)];
        let early_2: &[(&str, i64)] = &[("s", 5), ("s", 6)];
        let late_2: &[(&str, i64)] = &[("s", 104)];
        let parts = [early_1, late_1, mixed, early_2, late_2];
        let got = read(&parts.map(batch));
        assert_eq!(got, stable_sorted(&parts));
    }

    #[test]
    fn unsorted_input_is_sorted_too() {
        let rows: Vec<(String, i64)> = (0..500)
            .map(|i| (format!("site-{}", (i * 7) % 13), (i * 7919) % 1000))
            .collect();
        let borrowed: Vec<(&str, i64)> = rows.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        let (first, second) = borrowed.split_at(217);
        let got = read(&[batch(first), batch(second)]);
        assert_eq!(got, stable_sorted(&[first, second]));
    }

    #[test]
    fn ties_keep_arrival_order() {
        let one: &[(&str, i64)] = &[("s", 7), ("s", 7)];
        let two: &[(&str, i64)] = &[("s", 7), ("s", 3)];
        let keys = [batch(one), batch(two)];
        let refs: Vec<KeyColumns<'_>> = keys
            .iter()
            .map(|(text, number)| KeyColumns { text, number })
            .collect();
        let order: Vec<RowRef> = ascending_order(&refs).expect("supported").iter().collect();
        assert_eq!(order, vec![(1, 1), (0, 0), (0, 1), (1, 0)]);
    }

    #[test]
    fn every_string_layout_and_timestamps_are_read() {
        let text: ArrayRef = Arc::new(StringArray::from(vec!["b", "a", "b"]));
        let number: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![2, 9, 1]));
        let keys = [KeyColumns {
            text: &text,
            number: &number,
        }];
        let order: Vec<RowRef> = ascending_order(&keys).expect("supported").iter().collect();
        assert_eq!(order, vec![(0, 1), (0, 2), (0, 0)]);
    }

    #[test]
    fn nulls_and_other_types_are_left_to_the_general_sort() {
        let text: ArrayRef = Arc::new(StringViewArray::from(vec![Some("a"), None]));
        let number: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let keys = [KeyColumns {
            text: &text,
            number: &number,
        }];
        assert_eq!(ascending_order(&keys).err(), Some(Unsupported::Nulls));

        let floats: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(vec![1.0]));
        let text: ArrayRef = Arc::new(StringViewArray::from(vec!["a"]));
        let keys = [KeyColumns {
            text: &text,
            number: &floats,
        }];
        assert_eq!(
            ascending_order(&keys).err(),
            Some(Unsupported::Type(DataType::Float64))
        );
    }
}
