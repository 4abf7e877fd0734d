//! The AWS set-up that every part of alarmlake shares: one credential chain and one region for
//! Kinesis and for S3 (the lake, checkpoints and leases, `sql`, `report`, `compact`, `retain`,
//! `vacuum`).
//!
//! *Why a crate of its own:* the Kinesis SDK resolves credentials through `aws-config`
//! (environment, profiles, SSO, `credential_process`, web identity, container and instance
//! roles), while object_store's own S3 settings read only environment keys and instance
//! metadata. A consumer under `aws sso login` or a named profile then read the stream and could
//! not write the lake. Here the chain is loaded once, [`AwsAccess::load`], and both clients sign
//! with it: the Kinesis client directly, object_store through its credential-provider interface
//! ([`S3Settings::store`]). `transform`, `query` and `ingest` all depend on this crate, so no
//! S3 store is opened any other way.

mod access;
mod credential_source;
mod error;
pub mod http_clients;
mod object_store_credentials;
mod region;
mod s3;

pub use access::{AwsAccess, AwsSettings, CredentialsReport};
pub use error::AwsError;
pub use region::RegionSource;
pub use s3::S3Settings;
