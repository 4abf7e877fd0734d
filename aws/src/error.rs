//! What can go wrong while loading the AWS set-up, each said in one line that names what is
//! missing and where it was looked for.

/// An AWS set-up that cannot work: reported at start, with exit code 2, never retried.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "AWS profile `{profile}` (from {named_by}) is not defined in {config} or {credentials}"
    )]
    NoSuchProfile {
        profile: String,
        named_by: &'static str,
        config: String,
        credentials: String,
    },
    #[error("AWS profile files cannot be read: {0}")]
    ProfileFiles(String),
    #[error(
        "no AWS region: looked at --region, the config file's `region`, AWS_REGION, \
         AWS_DEFAULT_REGION, profile `{profile}` in {config}{metadata}; give --region"
    )]
    NoRegion {
        profile: String,
        config: String,
        metadata: &'static str,
    },
    #[error("AWS credentials (profile `{profile}`): {message}")]
    Credentials { profile: String, message: String },
    #[error("{location}: an S3 location needs the AWS set-up loaded first (AwsAccess::load)")]
    NotLoaded { location: String },
    #[error("cannot open S3 bucket `{bucket}`: {source}")]
    Store {
        bucket: String,
        #[source]
        source: object_store::Error,
    },
}
