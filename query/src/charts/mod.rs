//! Charts for the reports that are better seen than read: `volume` (stacked bars), `activity`
//! (a heat map) and `alarm-timeline` (one incident's steps on a time axis). Drawn with `plotters` from the report's own result rows, so a chart
//! always shows exactly what the table would, as PNG or SVG by the file's extension.

mod activity;
mod columns;
mod font;
mod frame;
mod palette;
mod series;
mod timeline;
mod volume;

pub use series::{Histogram, Lines};

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

/// Reports that draw a chart.
pub const CHARTED_REPORTS: &[&str] = &["volume", "activity", "alarm-timeline"];

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("report {0} has no chart (charts: {charts})", charts = CHARTED_REPORTS.join(", "))]
    NoChart(String),
    #[error("cannot tell the chart format of {0}: name it .png or .svg")]
    Format(PathBuf),
    #[error("{0}")]
    Font(String),
    #[error("the report's result does not fit its chart: {0}")]
    Columns(String),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to draw, decoded from a report's rows.
enum Chart {
    Volume(volume::Volume),
    Activity(Box<activity::Activity>),
    Timeline(timeline::Timeline),
    Lines(Lines),
    Histogram(Histogram),
}

impl Chart {
    fn size(&self) -> (u32, u32) {
        match self {
            Chart::Volume(_) => (1200, 620),
            Chart::Activity(_) => (1100, 440),
            Chart::Timeline(t) => t.size(),
            Chart::Lines(_) | Chart::Histogram(_) => (1000, 480),
        }
    }

    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        match self {
            Chart::Volume(v) => v.render(root),
            Chart::Activity(a) => a.render(root),
            Chart::Timeline(t) => t.render(root),
            Chart::Lines(l) => l.render(root),
            Chart::Histogram(h) => h.render(root),
        }
    }
}

/// Whether `report` draws a chart.
pub fn has_chart(report: &str) -> bool {
    CHARTED_REPORTS.contains(&report)
}

/// Draws `report`'s chart from its result `batches` into `path` (`.png` or `.svg`). Text uses
/// `font` if given, else a system TrueType font.
pub fn write_chart(
    report: &str,
    batches: &[RecordBatch],
    path: &Path,
    font: Option<&Path>,
) -> Result<(), ChartError> {
    let svg_file = is_svg(path)?;
    let chart = match report {
        "volume" => Chart::Volume(volume::Volume::from_batches(batches)?),
        "activity" => Chart::Activity(Box::new(activity::Activity::from_batches(batches)?)),
        "alarm-timeline" => Chart::Timeline(timeline::Timeline::from_batches(batches)?),
        other => return Err(ChartError::NoChart(other.to_string())),
    };
    write(&chart, svg_file, path, font)
}

/// Draws line series over time into `path` (`.png` or `.svg`).
pub fn write_lines(lines: Lines, path: &Path, font: Option<&Path>) -> Result<(), ChartError> {
    let svg_file = is_svg(path)?;
    write(&Chart::Lines(lines), svg_file, path, font)
}

/// Draws a histogram into `path` (`.png` or `.svg`).
pub fn write_histogram(
    histogram: Histogram,
    path: &Path,
    font: Option<&Path>,
) -> Result<(), ChartError> {
    let svg_file = is_svg(path)?;
    write(&Chart::Histogram(histogram), svg_file, path, font)
}

fn write(
    chart: &Chart,
    svg_file: bool,
    path: &Path,
    font: Option<&Path>,
) -> Result<(), ChartError> {
    font::ensure(font)?;
    let bytes = if svg_file {
        svg(chart)?.into_bytes()
    } else {
        png(chart)?
    };
    std::fs::write(path, bytes).map_err(|source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether `path` names an SVG chart (else PNG); any other extension is an error, found before
/// a report runs.
pub fn is_svg(path: &Path) -> Result<bool, ChartError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => Ok(true),
        Some("png") => Ok(false),
        _ => Err(ChartError::Format(path.to_path_buf())),
    }
}

/// Turns any drawing error into a [`ChartError`].
fn drawing<E: std::fmt::Display>(error: E) -> ChartError {
    ChartError::Draw(error.to_string())
}

fn svg(chart: &Chart) -> Result<String, ChartError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        chart.render(&root)?;
        root.present().map_err(drawing)?;
    }
    Ok(text)
}

fn png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    let (width, height) = chart.size();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        chart.render(&root)?;
        root.present().map_err(drawing)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(drawing)?;
    writer.write_image_data(&pixels).map_err(drawing)?;
    writer.finish().map_err(drawing)?;
    Ok(out)
}

/// Large counts as 1.2k / 3.4M, so axis labels stay short.
fn short_count(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1e6 {
        format!("{:.1}M", value / 1e6)
    } else if abs >= 1e4 {
        format!("{:.0}k", value / 1e3)
    } else if abs >= 1e3 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_short() {
        assert_eq!(short_count(0.0), "0");
        assert_eq!(short_count(950.0), "950");
        assert_eq!(short_count(1_250.0), "1.2k");
        assert_eq!(short_count(45_000.0), "45k");
        assert_eq!(short_count(3_400_000.0), "3.4M");
    }

    /// A lag that stays at zero still gets an axis of distinct whole numbers.
    #[test]
    fn a_flat_zero_series_has_distinct_axis_labels() {
        let chart = Chart::Lines(Lines {
            title: "lag".into(),
            y_desc: "ms".into(),
            series: vec![("max".into(), vec![(0.0, 0.0), (30.0, 0.0)])],
        });
        font::ensure(None).unwrap();
        let text = svg(&chart).unwrap();
        // The numbers drawn as text: the x axis's seconds and the y axis's counts.
        let labels: Vec<&str> = text
            .split("</text>")
            .filter_map(|t| t.rsplit_once('>').map(|(_, label)| label.trim()))
            .filter(|label| !label.is_empty() && label.parse::<f64>().is_ok())
            .collect();
        let whole: Vec<&str> = labels
            .iter()
            .copied()
            .filter(|l| !l.contains('.'))
            .collect();
        let mut distinct = whole.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(whole.len() >= 3, "y labels drawn: {labels:?}");
        assert_eq!(distinct.len(), whole.len(), "repeated y labels: {labels:?}");
    }
}
