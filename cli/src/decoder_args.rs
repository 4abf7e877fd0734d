//! The decoder options shared by `decode`, `ingest-file` and later the consumer.

use alarmlake_schemas::timezone::parse_tz;
use alarmlake_schemas::{BulkPolicy, DecoderConfig, TimeZones};
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bulk {
    Never,
    Unrecognized,
    Always,
}

/// The flags have no clap defaults, so that `consume` can tell a flag that was not given from
/// one that was, and take the config file's value instead (see [`DecoderArgs::or`]).
#[derive(Args, Debug, Clone, Default)]
pub struct DecoderArgs {
    /// Site of records that have no partition key (files, stdin) [default: unknown].
    #[arg(long, env = "ALARMLAKE_SITE")]
    pub site: Option<String>,
    /// Time zone of the relays' naive local `time` (IANA name) [default: UTC].
    #[arg(long, env = "ALARMLAKE_TZ")]
    pub tz: Option<String>,
    /// Time zone of one site, as SITE=ZONE; repeat for more sites.
    #[arg(long = "site-tz", value_name = "SITE=ZONE")]
    pub site_tz: Vec<String>,
    /// Which records are MODE bulk data rather than events [default: never].
    #[arg(long, value_enum)]
    pub bulk: Option<Bulk>,
}

impl DecoderArgs {
    /// These settings, with `fallback`'s wherever a flag was not given.
    pub fn or(self, fallback: DecoderArgs) -> DecoderArgs {
        DecoderArgs {
            site: self.site.or(fallback.site),
            tz: self.tz.or(fallback.tz),
            site_tz: if self.site_tz.is_empty() {
                fallback.site_tz
            } else {
                self.site_tz
            },
            bulk: self.bulk.or(fallback.bulk),
        }
    }

    pub fn config(&self) -> Result<DecoderConfig> {
        let mut zones = TimeZones::new(parse_tz(self.tz.as_deref().unwrap_or("UTC"))?);
        for entry in &self.site_tz {
            let Some((site, zone)) = entry.split_once('=') else {
                bail!("--site-tz takes SITE=ZONE, got {entry:?}");
            };
            zones.insert(site, parse_tz(zone)?);
        }
        let bulk = match self.bulk.unwrap_or(Bulk::Never) {
            Bulk::Never => BulkPolicy::Never,
            Bulk::Unrecognized => BulkPolicy::Unrecognized,
            Bulk::Always => BulkPolicy::Always,
        };
        Ok(DecoderConfig {
            default_site: self.site.clone().unwrap_or_else(|| "unknown".into()),
            time_zones: zones,
            bulk,
            ..DecoderConfig::default()
        })
    }
}
