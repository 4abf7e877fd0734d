//! What the bar charts and the line chart share: the frame of a bar chart (caption, segmented
//! x axis, count axis, mesh), one bar, and the legend box. One place, so every chart the
//! program draws looks alike.

use plotters::chart::ChartContext;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use super::{ChartError, drawing, short_count};

/// A bar chart's coordinates: one segment per bar, counts upwards.
pub(super) type BarChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>;

/// A bar chart's frame.
pub(super) struct BarFrame<'a> {
    pub caption: &'a str,
    /// One label per bar, in order.
    pub labels: Vec<&'a str>,
    /// The tallest bar (taken as at least 1); the axis goes `headroom` times higher, leaving
    /// room for the legend.
    pub top: f64,
    pub headroom: f64,
    pub x_label_area: u32,
    /// Most labels on the x axis; plotters picks which.
    pub max_x_labels: usize,
    pub x_desc: Option<&'a str>,
}

impl BarFrame<'_> {
    /// Draws the caption, axes and mesh on `root`, and returns the chart to draw bars on.
    pub fn draw<'b, DB: DrawingBackend>(
        &self,
        root: &'b DrawingArea<DB, Shift>,
    ) -> Result<BarChart<'b, DB>, ChartError> {
        let n = self.labels.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(self.x_label_area)
            .y_label_area_size(70)
            // plotters' integer ranges include their end, so n bars need 0..n-1.
            .build_cartesian_2d(
                (0..n - 1).into_segmented(),
                0f64..self.top.max(1.0) * self.headroom,
            )
            .map_err(drawing)?;
        let label = |x: &SegmentValue<usize>| match x {
            SegmentValue::CenterOf(i) => self.labels.get(*i).copied().unwrap_or_default().into(),
            _ => String::new(),
        };
        let count = |y: &f64| short_count(*y);
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .x_labels(n.min(self.max_x_labels))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&label)
            .y_label_formatter(&count)
            .y_desc("events");
        if let Some(x_desc) = self.x_desc {
            mesh.x_desc(x_desc);
        }
        mesh.draw().map_err(drawing)?;
        Ok(chart)
    }
}

/// The bar of segment `i` from `bottom` to `top`.
pub(super) fn bar(
    i: usize,
    bottom: f64,
    top: f64,
    color: RGBColor,
) -> Rectangle<(SegmentValue<usize>, f64)> {
    let mut bar = Rectangle::new(
        [
            (SegmentValue::Exact(i), bottom),
            (SegmentValue::Exact(i + 1), top),
        ],
        color.filled(),
    );
    bar.set_margin(0, 0, 2, 2);
    bar
}

/// The legend box, in the upper right corner.
pub(super) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(drawing)
}
