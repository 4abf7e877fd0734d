//! The `volume` chart: events per day (or per hour, for a day or two) as bars stacked by
//! table and message type. The eight biggest kinds get their own colour; the rest are "other",
//! because twenty shades of blue say nothing.

use std::collections::{BTreeMap, HashMap};

use arrow::record_batch::RecordBatch;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{BarFrame, bar, legend};
use super::{ChartError, columns, drawing, palette};

const MAX_SERIES: usize = palette::SERIES.len() - 1;

pub struct Volume {
    /// Bar labels, in time order.
    buckets: Vec<String>,
    /// Series name and its count per bucket, biggest first; "other" last.
    series: Vec<(String, Vec<u64>)>,
    hourly: bool,
}

/// A short name for the table a kind came from.
fn source(table: &str) -> &str {
    match table {
        "alarm_events" => "panel",
        "mode_events" => "mode",
        "camera_media" => "camera",
        "dead_letters" => "rejected",
        other => other,
    }
}

impl Volume {
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self, ChartError> {
        let mut rows = Vec::new();
        for batch in batches {
            let dates = columns::strings(batch, "date")?;
            let hours = columns::integers(batch, "hour")?;
            let tables = columns::strings(batch, "table")?;
            let kinds = columns::strings(batch, "kind")?;
            let events = columns::integers(batch, "events")?;
            for i in 0..batch.num_rows() {
                let name = format!("{} {}", source(&tables[i]), kinds[i]);
                rows.push((dates[i].clone(), hours[i], name, events[i].max(0) as u64));
            }
        }
        let days: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let hourly = days.len() <= 2;
        let bucket_of = |date: &str, hour: i64| {
            if hourly {
                format!("{date} {hour:02}h")
            } else {
                date.to_string()
            }
        };
        let buckets: Vec<String> = rows
            .iter()
            .map(|(d, h, _, _)| bucket_of(d, *h))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let index: HashMap<&str, usize> = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (b.as_str(), i))
            .collect();

        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, _, name, n) in &rows {
            *totals.entry(name).or_default() += n;
        }
        let mut ranked: Vec<(&str, u64)> = totals.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let keep = if ranked.len() > MAX_SERIES + 1 {
            MAX_SERIES
        } else {
            ranked.len()
        };
        let slot: HashMap<&str, usize> = ranked
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i.min(keep)))
            .collect();
        let mut series: Vec<(String, Vec<u64>)> = ranked[..keep]
            .iter()
            .map(|(name, _)| (name.to_string(), vec![0; buckets.len()]))
            .collect();
        if ranked.len() > keep {
            series.push(("other".to_string(), vec![0; buckets.len()]));
        }
        for (date, hour, name, n) in &rows {
            let bucket = index[bucket_of(date, *hour).as_str()];
            series[slot[name.as_str()]].1[bucket] += n;
        }
        Ok(Self {
            buckets,
            series,
            hourly,
        })
    }

    pub fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(drawing)?;
        let top = (0..self.buckets.len())
            .map(|i| self.series.iter().map(|(_, v)| v[i]).sum::<u64>())
            .max()
            .unwrap_or(0) as f64;
        let caption = if self.hourly {
            "Events per hour, by source and kind"
        } else {
            "Events per day, by source and kind"
        };
        let frame = BarFrame {
            caption,
            labels: self.buckets.iter().map(String::as_str).collect(),
            top,
            headroom: 1.15,
            x_label_area: 60,
            max_x_labels: 16,
            x_desc: None,
        };
        let mut chart = frame.draw(root)?;

        let mut below = vec![0u64; self.buckets.len()];
        for (s, (name, values)) in self.series.iter().enumerate() {
            let color = palette::SERIES[s.min(palette::SERIES.len() - 1)];
            let bars: Vec<Rectangle<(SegmentValue<usize>, f64)>> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0)
                .map(|(i, v)| bar(i, below[i] as f64, (below[i] + v) as f64, color))
                .collect();
            for (i, v) in values.iter().enumerate() {
                below[i] += v;
            }
            chart
                .draw_series(bars)
                .map_err(drawing)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled())
                });
        }
        legend(&mut chart)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(rows: &[(&str, i32, &str, &str, i64)]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("date", DataType::Utf8, false),
            Field::new("hour", DataType::Int32, false),
            Field::new("table", DataType::Utf8, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("events", DataType::Int64, false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.4))),
            ],
        )
        .unwrap()
    }

    #[test]
    fn days_become_bars_and_small_kinds_become_other() {
        let mut rows = vec![
            ("2024-03-01", 0, "alarm_events", "keypad", 100),
            ("2024-03-01", 1, "alarm_events", "keypad", 50),
            ("2024-03-02", 0, "mode_events", "heartbeat", 10),
            ("2024-03-03", 5, "alarm_events", "lrr", 7),
        ];
        let kinds: Vec<String> = (0..12).map(|i| format!("k{i:02}")).collect();
        for k in &kinds {
            rows.push(("2024-03-03", 6, "dead_letters", k, 1));
        }
        let v = Volume::from_batches(&[batch(&rows)]).unwrap();
        assert!(!v.hourly);
        assert_eq!(v.buckets, ["2024-03-01", "2024-03-02", "2024-03-03"]);
        assert_eq!(v.series[0], ("panel keypad".to_string(), vec![150, 0, 0]));
        assert_eq!(v.series.len(), MAX_SERIES + 1);
        let other = v.series.last().unwrap();
        assert_eq!(other.0, "other");
        // Every event is drawn somewhere: the stacks add up to the report's total.
        let drawn: u64 = v.series.iter().flat_map(|(_, c)| c).sum();
        assert_eq!(drawn, 150 + 10 + 7 + 12);
    }

    #[test]
    fn a_day_or_two_is_drawn_by_hour() {
        let v = Volume::from_batches(&[batch(&[
            ("2024-03-01", 23, "alarm_events", "keypad", 3),
            ("2024-03-02", 0, "alarm_events", "keypad", 4),
        ])])
        .unwrap();
        assert!(v.hourly);
        assert_eq!(v.buckets, ["2024-03-01 23h", "2024-03-02 00h"]);
    }

    #[test]
    fn a_result_without_the_columns_is_a_clear_error() {
        let schema = Schema::new(vec![Field::new("date", DataType::Utf8, false)]);
        let b = RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(StringArray::from(vec!["2024-03-01"]))],
        )
        .unwrap();
        let err = Volume::from_batches(&[b]).err().unwrap();
        assert!(err.to_string().contains("\"hour\""), "{err}");
    }
}
