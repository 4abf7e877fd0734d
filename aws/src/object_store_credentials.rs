//! The chain as an object_store credential provider, with a cache that refreshes credentials
//! before they expire.
//!
//! *Why a cache:* object_store asks its provider before every request, and the chain's
//! providers do not cache (the SDK clients keep an identity cache of their own). Without one,
//! every PUT of the lake would re-run the chain: read the profile files, or call STS or the
//! SSO portal. Credentials that expire are fetched again [`REFRESH_BEFORE`] their expiry, so a
//! request never signs with credentials that lapse while it is in flight.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;
use tokio::sync::Mutex;

/// How long before their expiry credentials are fetched again.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug)]
pub(crate) struct ObjectStoreCredentials {
    chain: SharedCredentialsProvider,
    /// Held while fetching, so concurrent requests wait for one fetch instead of starting many.
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    credential: Arc<AwsCredential>,
    /// `None`: they never expire (static keys).
    refresh_at: Option<SystemTime>,
}

impl ObjectStoreCredentials {
    pub(crate) fn new(chain: SharedCredentialsProvider) -> ObjectStoreCredentials {
        ObjectStoreCredentials {
            chain,
            cached: Mutex::new(None),
        }
    }
}

#[async_trait]
impl CredentialProvider for ObjectStoreCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref()
            && current
                .refresh_at
                .is_none_or(|refresh_at| SystemTime::now() < refresh_at)
        {
            return Ok(Arc::clone(&current.credential));
        }
        let fresh = self.chain.provide_credentials().await.map_err(|error| {
            object_store::Error::Generic {
                store: "S3",
                source: Box::new(error),
            }
        })?;
        let credential = Arc::new(AwsCredential {
            key_id: fresh.access_key_id().to_string(),
            secret_key: fresh.secret_access_key().to_string(),
            token: fresh.session_token().map(str::to_string),
        });
        *cached = Some(Cached {
            credential: Arc::clone(&credential),
            refresh_at: fresh.expiry().map(|expiry| {
                expiry
                    .checked_sub(REFRESH_BEFORE)
                    .unwrap_or(SystemTime::UNIX_EPOCH)
            }),
        });
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::future;

    use super::*;

    /// A chain that counts how often it is asked, and hands out credentials that expire
    /// `lifetime` from now.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        lifetime: Option<Duration>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            let expiry = self.lifetime.map(|l| SystemTime::now() + l);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKID{call}"),
                "secret",
                Some("token".into()),
                expiry,
                "test",
            )))
        }
    }

    fn provider(lifetime: Option<Duration>) -> (ObjectStoreCredentials, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let chain = SharedCredentialsProvider::new(Counting {
            calls: Arc::clone(&calls),
            lifetime,
        });
        (ObjectStoreCredentials::new(chain), calls)
    }

    #[tokio::test]
    async fn keys_that_do_not_expire_are_fetched_once() {
        let (credentials, calls) = provider(None);
        for _ in 0..3 {
            let got = credentials.get_credential().await.unwrap();
            assert_eq!(got.key_id, "AKID0");
            assert_eq!(got.token.as_deref(), Some("token"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_are_kept_until_shortly_before_they_expire() {
        let (credentials, calls) = provider(Some(Duration::from_secs(3600)));
        credentials.get_credential().await.unwrap();
        credentials.get_credential().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_inside_the_refresh_window_are_fetched_again() {
        // Expiring in 4 minutes: already inside the 5-minute window, so every request
        // fetches anew rather than signing with credentials about to lapse.
        let (credentials, calls) = provider(Some(Duration::from_secs(240)));
        assert_eq!(credentials.get_credential().await.unwrap().key_id, "AKID0");
        assert_eq!(credentials.get_credential().await.unwrap().key_id, "AKID1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
