//! Opening an S3 bucket with the process's one chain and region.

use object_store::aws::{AmazonS3, AmazonS3Builder};

use crate::access::AwsAccess;
use crate::error::AwsError;

/// How to reach S3: the endpoint override, and the loaded chain. `Default` has neither: enough
/// for local lakes, and an S3 location then fails with [`AwsError::NotLoaded`] rather than
/// falling back to a second, narrower chain.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// `--s3-endpoint` [default: `AWS_ENDPOINT_URL`].
    pub endpoint: Option<String>,
    pub access: Option<AwsAccess>,
}

impl S3Settings {
    /// Settings for `locations` (a lake, a checkpoint location): the chain is loaded, and its
    /// credentials resolved once, only when one of them is `s3://`, so a local lake never reads
    /// profiles or asks instance metadata.
    pub async fn for_locations(
        locations: &[&str],
        endpoint: Option<String>,
        aws: &crate::AwsSettings,
    ) -> Result<S3Settings, AwsError> {
        if !locations.iter().any(|l| l.starts_with("s3://")) {
            return Ok(S3Settings {
                endpoint,
                access: None,
            });
        }
        let endpoint = endpoint.or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let aws = crate::AwsSettings {
            endpoint_override: aws.endpoint_override || endpoint.is_some(),
            ..aws.clone()
        };
        let access = AwsAccess::load(&aws).await?;
        // Resolved now: a missing profile key or an expired SSO session is one clear error at
        // start, not a failure at the first write.
        access.check().await?;
        Ok(S3Settings {
            endpoint,
            access: Some(access),
        })
    }

    /// A store for `bucket`. The store options object_store reads from the environment
    /// (`AWS_ALLOW_HTTP`, virtual-hosted style, ...) still apply; credentials and region are
    /// always the chain's.
    pub fn store(&self, bucket: &str, location: &str) -> Result<AmazonS3, AwsError> {
        let Some(access) = &self.access else {
            return Err(AwsError::NotLoaded {
                location: location.to_string(),
            });
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(access.region().as_ref())
            .with_credentials(access.object_store_credentials());
        let endpoint = self
            .endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        if let Some(endpoint) = endpoint {
            // Emulators on 127.0.0.1 speak plain HTTP; real AWS endpoints are HTTPS.
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        builder.build().map_err(|source| AwsError::Store {
            bucket: bucket.to_string(),
            source,
        })
    }
}
