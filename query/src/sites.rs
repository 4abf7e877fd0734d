//! The `sites` table: each site's time zone, name and opening hours, from a CSV or Parquet file
//! the user keeps (`--sites FILE`).
//!
//! Reports need it inline (see [`crate::local_time`]), so the file is read here once, checked
//! row by row (an unknown zone or a malformed hour names its row), and written into the report
//! as a `VALUES` table. Sites not listed take the `--tz` zone.

use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use chrono_tz::Tz;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};

use crate::local_time::quoted;
use alarmlake_schemas::timezone::parse_tz;

/// One site's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub site: String,
    pub time_zone: Tz,
    pub name: Option<String>,
    /// Opening and closing time, in minutes after local midnight.
    pub opens: Option<u32>,
    pub closes: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    #[error("cannot read the sites file {path}: {source}")]
    Read {
        path: String,
        source: datafusion::error::DataFusionError,
    },
    #[error(
        "the sites file {path} has no column {column:?} (it needs site and time_zone; name, opens and closes are optional)"
    )]
    MissingColumn { path: String, column: &'static str },
    #[error("the sites file {path}, row {row}: {problem}")]
    Row {
        path: String,
        row: usize,
        problem: String,
    },
    #[error("the sites file {0} is neither .csv nor .parquet")]
    UnknownFormat(String),
}

/// Reads and checks a sites file (`.csv` with a header row, or `.parquet`).
pub async fn load_sites(path: &Path) -> Result<Vec<Site>, SitesError> {
    let shown = path.display().to_string();
    let ctx = SessionContext::new();
    let location = path.to_string_lossy();
    let read_error = |source| SitesError::Read {
        path: shown.clone(),
        source,
    };
    let frame = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => ctx
            .read_csv(location.as_ref(), CsvReadOptions::new().has_header(true))
            .await
            .map_err(read_error)?,
        Some("parquet") => ctx
            .read_parquet(location.as_ref(), ParquetReadOptions::default())
            .await
            .map_err(read_error)?,
        _ => return Err(SitesError::UnknownFormat(shown)),
    };
    let batches = frame.collect().await.map_err(read_error)?;
    let mut sites = Vec::new();
    for batch in &batches {
        read_batch(batch, &shown, &mut sites)?;
    }
    Ok(sites)
}

/// A column as text, `None` when the file does not have it.
fn text_column(
    batch: &RecordBatch,
    name: &str,
) -> Option<Result<arrow::array::ArrayRef, arrow::error::ArrowError>> {
    batch
        .column_by_name(name)
        .map(|column| cast(column, &DataType::Utf8))
}

fn read_batch(batch: &RecordBatch, path: &str, sites: &mut Vec<Site>) -> Result<(), SitesError> {
    let column = |name: &'static str, required: bool| -> Result<Option<_>, SitesError> {
        match text_column(batch, name) {
            Some(Ok(array)) => Ok(Some(array)),
            Some(Err(error)) => Err(SitesError::Row {
                path: path.to_string(),
                row: sites.len() + 1,
                problem: format!("column {name} cannot be read as text: {error}"),
            }),
            None if required => Err(SitesError::MissingColumn {
                path: path.to_string(),
                column: name,
            }),
            None => Ok(None),
        }
    };
    let site = column("site", true)?;
    let zone = column("time_zone", true)?;
    let (name, opens, closes) = (
        column("name", false)?,
        column("opens", false)?,
        column("closes", false)?,
    );
    let value = |array: &Option<arrow::array::ArrayRef>, i: usize| -> Option<String> {
        let array = array.as_ref()?.as_string::<i32>();
        (!array.is_null(i))
            .then(|| array.value(i).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    for i in 0..batch.num_rows() {
        let row = sites.len() + 1;
        let problem = |problem: String| SitesError::Row {
            path: path.to_string(),
            row,
            problem,
        };
        let site_name = value(&site, i).ok_or_else(|| problem("no site".into()))?;
        let zone_name =
            value(&zone, i).ok_or_else(|| problem(format!("site {site_name} has no time_zone")))?;
        let time_zone = parse_tz(&zone_name).map_err(|e| problem(e.to_string()))?;
        let minute = |field: &str, text: Option<String>| -> Result<Option<u32>, SitesError> {
            text.map(|t| {
                minute_of_day(&t)
                    .ok_or_else(|| problem(format!("{field} {t:?} is not a time of day (HH:MM)")))
            })
            .transpose()
        };
        sites.push(Site {
            opens: minute("opens", value(&opens, i))?,
            closes: minute("closes", value(&closes, i))?,
            name: value(&name, i),
            site: site_name,
            time_zone,
        });
    }
    Ok(())
}

/// `07:30` → 450.
fn minute_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

fn text_or_null(value: Option<&str>) -> String {
    value.map_or_else(|| "CAST(NULL AS VARCHAR)".to_string(), quoted)
}

fn minute_or_null(value: Option<u32>) -> String {
    value.map_or_else(|| "CAST(NULL AS INTEGER)".to_string(), |m| m.to_string())
}

/// The `sites` table as a `SELECT`: over `VALUES`, or an empty one with the same columns.
pub fn sites_sql(sites: &[Site]) -> String {
    const COLUMNS: &str = "site, time_zone, site_name, opens_minute, closes_minute";
    if sites.is_empty() {
        return "SELECT CAST(NULL AS VARCHAR) AS site, CAST(NULL AS VARCHAR) AS time_zone, \
                CAST(NULL AS VARCHAR) AS site_name, CAST(NULL AS INTEGER) AS opens_minute, \
                CAST(NULL AS INTEGER) AS closes_minute WHERE 1 = 0"
            .to_string();
    }
    let rows: Vec<String> = sites
        .iter()
        .map(|s| {
            format!(
                "({}, {}, {}, {}, {})",
                quoted(&s.site),
                quoted(s.time_zone.name()),
                text_or_null(s.name.as_deref()),
                minute_or_null(s.opens),
                minute_or_null(s.closes)
            )
        })
        .collect();
    format!(
        "SELECT * FROM (VALUES\n        {}\n    ) AS site_table({COLUMNS})",
        rows.join(",\n        ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_csv_file_is_read_and_checked_row_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sites.csv");
        std::fs::write(
            &path,
            "site,time_zone,name,opens,closes\n\
             home-0001,America/New_York,O'Neil home,,\n\
             shop-7,Europe/Berlin,Bakery,06:30,18:00\n",
        )
        .unwrap();
        let sites = load_sites(&path).await.unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].time_zone, chrono_tz::America::New_York);
        assert_eq!(sites[0].name.as_deref(), Some("O'Neil home"));
        assert_eq!((sites[0].opens, sites[0].closes), (None, None));
        assert_eq!((sites[1].opens, sites[1].closes), (Some(390), Some(1080)));
        let sql = sites_sql(&sites);
        assert!(sql.contains(
            "('home-0001', 'America/New_York', 'O''Neil home', CAST(NULL AS INTEGER), CAST(NULL AS INTEGER))"
        ));
        assert!(sql.contains("('shop-7', 'Europe/Berlin', 'Bakery', 390, 1080)"));

        std::fs::write(&path, "site,time_zone\nhome-1,Mars/Olympus\n").unwrap();
        let error = load_sites(&path).await.unwrap_err().to_string();
        assert!(
            error.contains("row 1") && error.contains("Mars/Olympus"),
            "{error}"
        );
        std::fs::write(&path, "site,time_zone,closes\nhome-1,UTC,25:00\n").unwrap();
        let error = load_sites(&path).await.unwrap_err().to_string();
        assert!(error.contains("closes \"25:00\""), "{error}");
        std::fs::write(&path, "site,zone\nhome-1,UTC\n").unwrap();
        let error = load_sites(&path).await.unwrap_err().to_string();
        assert!(error.contains("no column \"time_zone\""), "{error}");
        assert!(sites_sql(&[]).contains("WHERE 1 = 0"));
    }
}
