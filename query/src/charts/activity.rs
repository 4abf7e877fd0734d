//! The `activity` chart: a heat map of events by day of week (rows) and hour of day (columns),
//! with a colour scale, so the household's rhythm and odd-hour activity stand out.

use arrow::record_batch::RecordBatch;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartError, columns, drawing, palette, short_count};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

pub struct Activity {
    /// Events by weekday (0 = Sunday) and hour of day.
    cells: [[u64; 24]; 7],
}

impl Activity {
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self, ChartError> {
        let mut cells = [[0u64; 24]; 7];
        for batch in batches {
            let days = columns::integers(batch, "weekday")?;
            let hours = columns::integers(batch, "hour_of_day")?;
            let events = columns::integers(batch, "events")?;
            for i in 0..batch.num_rows() {
                let (Ok(day), Ok(hour)) = (usize::try_from(days[i]), usize::try_from(hours[i]))
                else {
                    return Err(ChartError::Columns(format!(
                        "weekday {} / hour {} out of range",
                        days[i], hours[i]
                    )));
                };
                let cell = cells
                    .get_mut(day)
                    .and_then(|row| row.get_mut(hour))
                    .ok_or_else(|| {
                        ChartError::Columns(format!("weekday {day} / hour {hour} out of range"))
                    })?;
                *cell += events[i].max(0) as u64;
            }
        }
        Ok(Self { cells })
    }

    fn max(&self) -> u64 {
        self.cells.iter().flatten().copied().max().unwrap_or(0)
    }

    pub fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(drawing)?;
        let (width, _) = root.dim_in_pixel();
        let (map, scale) = root.split_horizontally(width.saturating_sub(120));
        let max = self.max().max(1) as f64;

        // Rows top to bottom run Sunday to Saturday: row r is drawn at y = 6 - r.
        let mut chart = ChartBuilder::on(&map)
            .caption(
                "Events by day of week and hour of day (local time)",
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(50)
            // plotters' integer ranges include their end.
            .build_cartesian_2d((0..23usize).into_segmented(), (0..6usize).into_segmented())
            .map_err(drawing)?;
        let hour = |x: &SegmentValue<usize>| match x {
            SegmentValue::CenterOf(h) => format!("{h:02}"),
            _ => String::new(),
        };
        let day = |y: &SegmentValue<usize>| match y {
            SegmentValue::CenterOf(r) if *r < 7 => WEEKDAYS[6 - r].to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(24)
            .y_labels(7)
            .label_style(("sans-serif", 13))
            .x_label_formatter(&hour)
            .y_label_formatter(&day)
            .x_desc("hour of day")
            .draw()
            .map_err(drawing)?;
        let cells = self.cells.iter().enumerate().flat_map(|(d, row)| {
            row.iter().enumerate().map(move |(h, n)| {
                let r = 6 - d;
                let mut cell = Rectangle::new(
                    [
                        (SegmentValue::Exact(h), SegmentValue::Exact(r)),
                        (SegmentValue::Exact(h + 1), SegmentValue::Exact(r + 1)),
                    ],
                    palette::heat(*n as f64 / max).filled(),
                );
                cell.set_margin(1, 1, 1, 1);
                cell
            })
        });
        chart.draw_series(cells).map_err(drawing)?;

        let mut legend = ChartBuilder::on(&scale)
            .margin_top(56)
            .margin_bottom(56)
            .margin_right(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..1f64, 0f64..max)
            .map_err(drawing)?;
        let count = |y: &f64| short_count(*y);
        legend
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(5)
            .label_style(("sans-serif", 12))
            .y_label_formatter(&count)
            .draw()
            .map_err(drawing)?;
        const STEPS: usize = 64;
        legend
            .draw_series((0..STEPS).map(|i| {
                let lo = max * i as f64 / STEPS as f64;
                let hi = max * (i + 1) as f64 / STEPS as f64;
                Rectangle::new(
                    [(0.0, lo), (1.0, hi)],
                    palette::heat((i as f64 + 0.5) / STEPS as f64).filled(),
                )
            }))
            .map_err(drawing)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, Int64Array};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(rows: &[(i32, i32, i64)]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("weekday", DataType::Int32, false),
            Field::new("hour_of_day", DataType::Int32, false),
            Field::new("events", DataType::Int64, false),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap()
    }

    #[test]
    fn rows_fill_their_cells() {
        let a = Activity::from_batches(&[batch(&[(0, 7, 5), (6, 23, 9), (0, 7, 1)])]).unwrap();
        assert_eq!(a.cells[0][7], 6);
        assert_eq!(a.cells[6][23], 9);
        assert_eq!(a.max(), 9);
        assert_eq!(a.cells.iter().flatten().sum::<u64>(), 15);
    }

    #[test]
    fn out_of_range_cells_are_refused() {
        for bad in [(7, 0, 1), (0, 24, 1), (-1, 3, 1)] {
            assert!(Activity::from_batches(&[batch(&[bad])]).is_err(), "{bad:?}");
        }
    }
}
