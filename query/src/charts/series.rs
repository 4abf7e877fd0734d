//! Line charts over time and histograms, for the benchmark harness's report: throughput and lag
//! over a run, and the distribution of put-to-queryable latency.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::frame::{BarFrame, bar, legend};
use super::{ChartError, drawing, palette, short_count};

/// One or more series of (seconds into the run, value).
pub struct Lines {
    pub title: String,
    pub y_desc: String,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

/// Counts per labelled bucket, in order.
pub struct Histogram {
    pub title: String,
    pub x_desc: String,
    pub buckets: Vec<(String, u64)>,
}

impl Lines {
    pub fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(drawing)?;
        let points = self.series.iter().flat_map(|(_, p)| p.iter());
        // The y axis reaches at least 10: its labels are whole counts, and a series that stays
        // at 0 (no lag) over an axis of 0..1 was labelled 0, 0, 0, 1, 1, 1.
        let (mut x_max, mut y_max) = (1f64, 10f64);
        for (x, y) in points {
            x_max = x_max.max(*x);
            y_max = y_max.max(*y);
        }
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max * 1.1)
            .map_err(drawing)?;
        let count = |y: &f64| short_count(*y);
        chart
            .configure_mesh()
            .label_style(("sans-serif", 13))
            .x_desc("seconds into the run")
            .y_desc(self.y_desc.as_str())
            .y_label_formatter(&count)
            .draw()
            .map_err(drawing)?;
        for (i, (name, points)) in self.series.iter().enumerate() {
            let color = palette::SERIES[i.min(palette::SERIES.len() - 1)];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(drawing)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        legend(&mut chart)
    }
}

impl Histogram {
    pub fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(drawing)?;
        let top = self.buckets.iter().map(|(_, c)| *c).max().unwrap_or(0) as f64;
        let frame = BarFrame {
            caption: &self.title,
            labels: self
                .buckets
                .iter()
                .map(|(label, _)| label.as_str())
                .collect(),
            top,
            headroom: 1.1,
            x_label_area: 50,
            max_x_labels: 20,
            x_desc: Some(&self.x_desc),
        };
        let mut chart = frame.draw(root)?;
        let color = palette::SERIES[0];
        chart
            .draw_series(
                self.buckets
                    .iter()
                    .enumerate()
                    .map(|(i, (_, c))| bar(i, 0.0, *c as f64, color)),
            )
            .map_err(drawing)?;
        Ok(())
    }
}
