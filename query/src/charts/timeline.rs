//! The `alarm-timeline` chart: one incident's steps on a time axis, one row per step from top
//! to bottom, each a dot coloured by what it is (a fault, the alarm, a report to the station,
//! the user ending it) and labelled with its local time and detail, so the seconds between
//! the door opening, the siren and the cancel can be seen at a glance.

use arrow::record_batch::RecordBatch;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartError, columns, drawing, palette};

/// One step of the incident.
struct Step {
    seconds: f64,
    what: String,
    detail: String,
    /// The local time as the report prints it (`2024-03-09 09:00:12-05:00`).
    at: String,
}

pub struct Timeline {
    site: String,
    steps: Vec<Step>,
}

/// Height of one step's row, in pixels.
const ROW: u32 = 34;

impl Timeline {
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self, ChartError> {
        let mut steps = Vec::new();
        let mut site = String::new();
        for batch in batches {
            let seconds = columns::floats(batch, "seconds_since_first")?;
            let what = columns::strings(batch, "what")?;
            let detail = columns::strings(batch, "detail")?;
            let at = columns::strings(batch, "at")?;
            if let Some(first) = columns::strings(batch, "site")?.into_iter().next() {
                site = first;
            }
            for i in 0..batch.num_rows() {
                steps.push(Step {
                    seconds: seconds[i],
                    what: what[i].clone(),
                    detail: detail[i].clone(),
                    at: at[i].clone(),
                });
            }
        }
        if steps.is_empty() {
            return Err(ChartError::Columns(
                "no alarm in the range to draw (no rows)".into(),
            ));
        }
        Ok(Timeline { site, steps })
    }

    /// The chart's size: a row per step under the caption and above the time axis.
    pub fn size(&self) -> (u32, u32) {
        (1100, 130 + ROW * self.steps.len() as u32)
    }

    fn colour(what: &str) -> RGBColor {
        let i = if what.starts_with("alarm sounding") || what == "alarm reported" {
            5
        } else if what.ends_with("reported") {
            3
        } else if what.starts_with("disarm") || what.starts_with("alarm silenced") {
            2
        } else if what.starts_with("entry") {
            1
        } else if what.starts_with("fault") {
            6
        } else if what.starts_with("restore") || what.starts_with("ready") {
            4
        } else {
            7
        };
        palette::SERIES[i]
    }

    pub fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(drawing)?;
        let n = self.steps.len();
        let span = self
            .steps
            .iter()
            .map(|s| s.seconds)
            .fold(0.0, f64::max)
            .max(1.0);
        let day = self.steps[0].at.get(..10).unwrap_or_default();
        let caption = format!("Alarm at {} on {day}", self.site);
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(10)
            // The right part of the plot is left for the labels of the last steps.
            .build_cartesian_2d(-span * 0.03..span * 1.9, 0f64..n as f64)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|x: &f64| {
                if *x < 0.0 || *x > span * 1.05 {
                    String::new()
                } else {
                    format!("{x:.0}")
                }
            })
            .x_desc("seconds since the first step")
            .draw()
            .map_err(drawing)?;
        // Step 1 at the top.
        let y = |i: usize| (n - i) as f64 - 0.5;
        chart
            .draw_series(LineSeries::new(
                self.steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.seconds, y(i))),
                palette::SERIES[8].stroke_width(1),
            ))
            .map_err(drawing)?;
        let label_style = ("sans-serif", 14)
            .into_font()
            .into_text_style(root)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, step) in self.steps.iter().enumerate() {
            let point = (step.seconds, y(i));
            chart
                .draw_series(std::iter::once(Circle::new(
                    point,
                    6,
                    Self::colour(&step.what).filled(),
                )))
                .map_err(drawing)?;
            let time = step.at.get(11..19).unwrap_or(&step.at);
            let label = format!("{time}  {}: {}", step.what, step.detail);
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (step.seconds + span * 0.02, y(i)),
                    label_style.clone(),
                )))
                .map_err(drawing)?;
        }
        Ok(())
    }
}
