//! The HTTP clients the SDK is given: rustls on ring, and TLS roots read only when a connection
//! needs them.
//!
//! *Why:* the SDK's HTTPS client reads and parses the system's root certificates when a client
//! is built (its "validation"), not when a connection is made: about 140 PEM files, read, decoded
//! and parsed, on every start. With an emulator on `http://127.0.0.1` no certificate is ever
//! used, and that was 12 % of a short `consume`'s CPU (`benches/RESULTS.md`). Here the client
//! for the credential chain builds its TLS set-up on its first real connection (if any: the
//! chain's STS client is built at start, but with credentials in the environment it never
//! calls), and a service client whose endpoint is plain HTTP gets a client without TLS at all.

use aws_smithy_http_client::{Builder as HttpClientBuilder, Connector, tls};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The TLS provider: rustls on ring, as object_store uses (the SDK's default crypto, aws-lc,
/// would add a large C build).
fn tls_provider() -> tls::Provider {
    tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring)
}

/// An HTTPS client whose TLS roots are read on its first connection, not when a client using it
/// is built.
///
/// The SDK calls the connector function with no settings to validate a new client, and throws
/// the connector away; that call gets a connector without TLS, which costs nothing. Calls for
/// real connections (with settings) get the full HTTPS connector, cached by the SDK per
/// connection settings. (`build_with_connector_fn` is public but left out of the SDK's docs;
/// `Cargo.lock` pins `aws-smithy-http-client`, and an upgrade that changes it fails to build.)
pub fn https_client() -> SharedHttpClient {
    HttpClientBuilder::new().build_with_connector_fn(|settings, components| {
        let mut builder = Connector::builder();
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        match settings {
            None => builder.build_http(),
            Some(_) => builder.tls_provider(tls_provider()).build(),
        }
    })
}

/// The client for a service reached at `endpoint`: without TLS when the endpoint is plain HTTP
/// (every call goes there), else [`https_client`].
pub fn client_for_endpoint(endpoint: Option<&str>) -> SharedHttpClient {
    match endpoint {
        Some(url) if is_plain_http(url) => HttpClientBuilder::new().build_http(),
        _ => https_client(),
    }
}

fn is_plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_kinesis::error::DisplayErrorContext;

    /// The error of one ListStreams call to `endpoint` through `http`, with no retries.
    async fn call_error(http: SharedHttpClient, endpoint: &str) -> String {
        let config = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
            .build();
        let client = aws_sdk_kinesis::Client::from_conf(config);
        let error = client.list_streams().send().await.err();
        format!(
            "{}",
            DisplayErrorContext(error.expect("nothing listens there"))
        )
    }

    /// A port on 127.0.0.1 that nothing listens on.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn the_lazy_client_still_speaks_https_and_the_plain_one_does_not() {
        let https = format!("https://127.0.0.1:{}", closed_port());
        // The lazy client gets as far as connecting (and is refused): it would do TLS.
        let lazy = call_error(https_client(), &https).await;
        assert!(lazy.contains("onnect"), "{lazy}");
        assert!(!lazy.contains("scheme"), "{lazy}");
        // The client for a plain-HTTP endpoint refuses an https URL before connecting: this
        // is what the lazy client must not do.
        let plain = call_error(client_for_endpoint(Some("http://127.0.0.1")), &https).await;
        assert!(plain.contains("scheme"), "{plain}");
    }

    #[test]
    fn only_plain_http_endpoints_go_without_tls() {
        assert!(is_plain_http("http://127.0.0.1:4568"));
        assert!(is_plain_http("HTTP://localhost:4566"));
        assert!(!is_plain_http("https://kinesis.us-east-1.amazonaws.com"));
        assert!(!is_plain_http("http:/"));
        assert!(!is_plain_http(""));
    }
}
