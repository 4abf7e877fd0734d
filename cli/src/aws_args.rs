//! The AWS flags of every command that can reach S3, and the S3 settings they give: the same
//! credential chain and region as Kinesis (`alarmlake_aws`).

use alarmlake_aws::{AwsSettings, S3Settings};
use anyhow::Result;
use clap::Args;

#[derive(Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// S3 endpoint, for S3-compatible stores and emulators [default: AWS_ENDPOINT_URL].
    #[arg(long, global = true, env = "ALARMLAKE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// The AWS profile for credentials and region [default: AWS_PROFILE, then `default`].
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// The AWS region [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, instance
    /// metadata].
    #[arg(long, global = true)]
    pub region: Option<String>,
}

impl AwsArgs {
    /// The S3 settings for `locations`; the chain is loaded only if one is on S3.
    pub async fn load(&self, locations: &[&str]) -> Result<S3Settings> {
        let aws = AwsSettings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            config_region: None,
            endpoint_override: self.s3_endpoint.is_some(),
        };
        Ok(S3Settings::for_locations(locations, self.s3_endpoint.clone(), &aws).await?)
    }

    /// [`AwsArgs::load`] for a command that runs outside a runtime. Loading makes no call
    /// that leaves a connection behind (credentials are fetched when a request first needs
    /// them, on the runtime that sends it), so a runtime of its own is enough.
    pub fn load_blocking(&self, locations: &[&str]) -> Result<S3Settings> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(self.load(locations))
    }
}
