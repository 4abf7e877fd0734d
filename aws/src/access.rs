//! Loading the credential chain and the region once per process, and checking them at start.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::region::Region;

use crate::credential_source;
use crate::error::AwsError;
use crate::http_clients::https_client;
use crate::object_store_credentials::ObjectStoreCredentials;
use crate::region::{self, RegionSource};

/// What the user said about AWS: flags and the config file. Everything else (environment,
/// profile files, SSO cache, roles) the chain finds by itself.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// `--profile` [default: `AWS_PROFILE`, then `default`].
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// The config file's `region` (`consume --config`).
    pub config_region: Option<String>,
    /// An endpoint override is set (an emulator, LocalStack, MinIO): when nothing names a
    /// region, us-east-1, and instance metadata is never asked for one.
    pub endpoint_override: bool,
}

/// The loaded chain and region, shared by every client of the process. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct AwsAccess {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    profile: String,
    /// `--profile` or `AWS_PROFILE`; `None` for the implicit `default`.
    profile_named_by: Option<&'static str>,
    region: Region,
    region_source: RegionSource,
    credentials: SharedCredentialsProvider,
    /// The same chain for object_store, with a cache: object_store asks for every request.
    object_store: Arc<ObjectStoreCredentials>,
}

/// Which source gave credentials, for `--check`. Never the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsReport {
    /// For example "profile `ops` (SSO)" or "environment variables".
    pub source: String,
    pub access_key_id_suffix: String,
    pub expires: Option<SystemTime>,
}

impl fmt::Display for CredentialsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (key …{})", self.source, self.access_key_id_suffix)?;
        if let Some(expires) = self.expires {
            let left = expires
                .duration_since(SystemTime::now())
                .map_or(0, |d| d.as_secs() / 60);
            write!(f, ", refreshed before they expire in {left} min")?;
        }
        Ok(())
    }
}

/// Where the profile files are, for messages: the variables, else the home folder's.
fn profile_file(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_else(|_| "~".into());
        format!("{home}/.aws/{default}")
    })
}

impl AwsAccess {
    /// Loads the chain and resolves the region. Fails, without retrying, on a named profile
    /// that does not exist and on a region that no source gives. Credentials themselves are
    /// resolved on first use; [`AwsAccess::check`] resolves them at start.
    pub async fn load(settings: &AwsSettings) -> Result<AwsAccess, AwsError> {
        let named = match (&settings.profile, std::env::var("AWS_PROFILE").ok()) {
            (Some(flag), _) if !flag.is_empty() => Some((flag.clone(), "--profile")),
            (_, Some(variable)) if !variable.is_empty() => Some((variable, "AWS_PROFILE")),
            _ => None,
        };
        let config_file = profile_file("AWS_CONFIG_FILE", "config");
        if let Some((profile, named_by)) = &named {
            require_profile(profile, named_by, &config_file).await?;
        }
        let (profile, profile_named_by) = match named {
            Some((profile, named_by)) => (profile, Some(named_by)),
            None => ("default".to_string(), None),
        };
        let (region, region_source) = region::resolve(settings, &profile, &config_file).await?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .region(region.clone());
        if profile_named_by.is_some() {
            loader = loader.profile_name(&profile);
        }
        let sdk = loader.load().await;
        let Some(credentials) = sdk.credentials_provider() else {
            // The default loader always builds the chain; this is a guard, not a case.
            return Err(AwsError::Credentials {
                profile,
                message: "the AWS configuration loader built no credential chain".into(),
            });
        };
        let object_store = Arc::new(ObjectStoreCredentials::new(credentials.clone()));
        Ok(AwsAccess {
            inner: Arc::new(Inner {
                profile,
                profile_named_by,
                region,
                region_source,
                credentials,
                object_store,
            }),
        })
    }

    /// Resolves credentials once, now: a clear error at start (an expired SSO session, a
    /// `credential_process` that fails, no source at all) instead of a retry loop later.
    pub async fn check(&self) -> Result<CredentialsReport, AwsError> {
        let credentials = self
            .inner
            .credentials
            .provide_credentials()
            .await
            .map_err(|error| AwsError::Credentials {
                profile: self.inner.profile.clone(),
                message: credential_source::explain(&error, &self.inner.profile),
            })?;
        let key = credentials.access_key_id();
        Ok(CredentialsReport {
            source: credential_source::describe(&credentials, self.profile_in_use()),
            access_key_id_suffix: key[key.len().saturating_sub(4)..].to_string(),
            expires: credentials.expiry(),
        })
    }

    pub fn region(&self) -> &Region {
        &self.inner.region
    }

    pub fn region_source(&self) -> &RegionSource {
        &self.inner.region_source
    }

    /// The profile and what named it (`--profile`, `AWS_PROFILE`), if one was named.
    pub fn named_profile(&self) -> Option<(&str, &'static str)> {
        self.inner
            .profile_named_by
            .map(|named_by| (self.inner.profile.as_str(), named_by))
    }

    fn profile_in_use(&self) -> &str {
        &self.inner.profile
    }

    /// The chain, for an SDK client (Kinesis).
    pub fn credentials_provider(&self) -> SharedCredentialsProvider {
        self.inner.credentials.clone()
    }

    pub(crate) fn object_store_credentials(&self) -> Arc<ObjectStoreCredentials> {
        Arc::clone(&self.inner.object_store)
    }
}

/// Fails unless `profile` is defined in the config or credentials file.
///
/// *Why here:* the chain only notices a missing profile when it is asked for credentials, and
/// the region lookup before that would report "no region", which points the wrong way.
async fn require_profile(
    profile: &str,
    named_by: &'static str,
    config_file: &str,
) -> Result<(), AwsError> {
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        Some(Cow::Owned(profile.to_string())),
    )
    .await
    .map_err(|error| AwsError::ProfileFiles(error.to_string()))?;
    if profiles.get_profile(profile).is_some() {
        return Ok(());
    }
    Err(AwsError::NoSuchProfile {
        profile: profile.to_string(),
        named_by,
        config: config_file.to_string(),
        credentials: profile_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    })
}
