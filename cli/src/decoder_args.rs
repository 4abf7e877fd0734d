//! The decoder options shared by `decode`, `ingest-file` and later the consumer.

use alarmlake_schemas::timezone::parse_tz;
use alarmlake_schemas::{BulkPolicy, DecoderConfig, TimeZones};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Bulk {
    Never,
    Unrecognized,
    Always,
}

#[derive(Args, Debug, Clone)]
pub struct DecoderArgs {
    /// Site of records that have no partition key (files, stdin).
    #[arg(long, default_value = "unknown", env = "ALARMLAKE_SITE")]
    pub site: String,
    /// Time zone of the relays' naive local `time` (IANA name).
    #[arg(long, default_value = "UTC", env = "ALARMLAKE_TZ")]
    pub tz: String,
    /// Time zone of one site, as SITE=ZONE; repeat for more sites.
    #[arg(long = "site-tz", value_name = "SITE=ZONE")]
    pub site_tz: Vec<String>,
    /// Which records are MODE bulk data rather than events.
    #[arg(long, value_enum, default_value_t = Bulk::Never)]
    pub bulk: Bulk,
}

impl DecoderArgs {
    pub fn config(&self) -> Result<DecoderConfig> {
        let mut zones = TimeZones::new(parse_tz(&self.tz)?);
        for entry in &self.site_tz {
            let Some((site, zone)) = entry.split_once('=') else {
                bail!("--site-tz takes SITE=ZONE, got {entry:?}");
            };
            zones.insert(site, parse_tz(zone)?);
        }
        let bulk = match self.bulk {
            Bulk::Never => BulkPolicy::Never,
            Bulk::Unrecognized => BulkPolicy::Unrecognized,
            Bulk::Always => BulkPolicy::Always,
        };
        Ok(DecoderConfig {
            default_site: self.site.clone(),
            time_zones: zones,
            bulk,
            ..DecoderConfig::default()
        })
    }
}
