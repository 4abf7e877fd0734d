//! The region, from the first source that names one, and which source that was (`--check`
//! prints it).
//!
//! The order is `--region`, the config file, then the AWS SDKs' own order: the environment,
//! the profile, instance metadata. (Environment before profile is what every AWS tool does, so
//! `AWS_REGION=eu-west-1 aws ...` and alarmlake agree.)

use std::fmt;

use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_types::region::Region;

use crate::access::AwsSettings;
use crate::error::AwsError;
use crate::http_clients::https_client;

/// The region emulators get when nothing names one: they accept any.
const EMULATOR_REGION: &str = "us-east-1";

/// Where the region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    Flag,
    ConfigFile,
    Environment(&'static str),
    Profile(String),
    InstanceMetadata,
    /// No source named one and an endpoint override (an emulator) is set.
    EmulatorDefault,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Flag => f.write_str("--region"),
            RegionSource::ConfigFile => f.write_str("the config file"),
            RegionSource::Environment(variable) => f.write_str(variable),
            RegionSource::Profile(name) => write!(f, "profile `{name}`"),
            RegionSource::InstanceMetadata => f.write_str("instance metadata"),
            RegionSource::EmulatorDefault => {
                f.write_str("the default for an endpoint override (no source names one)")
            }
        }
    }
}

/// Whether the SDK may ask the instance-metadata service (it may not when
/// `AWS_EC2_METADATA_DISABLED` is true).
pub(crate) fn metadata_allowed() -> bool {
    !std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).cloned()
}

/// The region and its source; `profile` is the profile in force (named or `default`).
pub(crate) async fn resolve(
    settings: &AwsSettings,
    profile: &str,
    config_file: &str,
) -> Result<(Region, RegionSource), AwsError> {
    if let Some(region) = non_empty(settings.region.as_ref()) {
        return Ok((Region::new(region), RegionSource::Flag));
    }
    if let Some(region) = non_empty(settings.config_region.as_ref()) {
        return Ok((Region::new(region), RegionSource::ConfigFile));
    }
    for variable in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = non_empty(std::env::var(variable).ok().as_ref()) {
            return Ok((Region::new(region), RegionSource::Environment(variable)));
        }
    }
    let from_profile = ProfileFileRegionProvider::builder()
        .profile_name(profile)
        .build()
        .region()
        .await;
    if let Some(region) = from_profile {
        return Ok((region, RegionSource::Profile(profile.to_string())));
    }
    // Before instance metadata: a run against an emulator must never ask 169.254.169.254.
    if settings.endpoint_override {
        return Ok((Region::new(EMULATOR_REGION), RegionSource::EmulatorDefault));
    }
    if metadata_allowed() {
        let config = ProviderConfig::without_region().with_http_client(https_client());
        let imds = ImdsRegionProvider::builder().configure(&config).build();
        if let Some(region) = imds.region().await {
            return Ok((region, RegionSource::InstanceMetadata));
        }
    }
    Err(AwsError::NoRegion {
        profile: profile.to_string(),
        config: config_file.to_string(),
        metadata: if metadata_allowed() {
            " and instance metadata"
        } else {
            ""
        },
    })
}
