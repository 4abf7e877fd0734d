//! One AWS set-up for Kinesis and S3: credentials and region from profile files alone reach
//! both, `--check` says where they came from without printing secrets, and a set-up that
//! cannot work is one clear error at start.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use support::fault_proxy::{Fault, FaultProxy, Rule};
use support::kinesis::{client_in, endpoint, generated_records, put_records, status_and_log};
use support::kinesis::{wait_active, wait_with_timeout};
use support::{POSITIONS_SQL, S3Lake, count_positions, run_ok, unique};

const KEY: &str = "AKIAALARMPROFILE01";
const SECRET: &str = "profile-secret-never-printed";
/// Not us-east-1, the default of every emulator and of object_store.
const REGION: &str = "eu-west-3";

/// The binary with no AWS variable of the test's environment, only profile files in `dir`
/// (written here): `alarm` has keys and a region, `sso` an SSO session whose token expired.
fn profile_only(dir: &Path) -> Command {
    std::fs::write(
        dir.join("config"),
        format!(
            "[profile alarm]\nregion = {REGION}\n\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n\
             sso_role_name = Reader\nregion = {REGION}\n\n\
             [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n\
             sso_region = {REGION}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!("[alarm]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    // The SSO token cache, named by the SHA-1 of the session name ("corp"): expired, and
    // without a refresh token, so the chain fails before it would call the SSO service.
    let cache = dir.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        format!(
            r#"{{"accessToken": "expired", "expiresAt": "2020-01-01T00:00:00Z", "region": "{REGION}", "startUrl": "https://example.awsapps.com/start"}}"#
        ),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_alarmlake"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        // Nothing may ask 169.254.169.254: the SDK's metadata is off, and object_store's
        // (which an S3 store without the chain would ask) points at a closed local port.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9");
    command
}

/// Every row's stream position in the S3 lake, counted, read with `sql` under `--profile`.
fn positions(dir: &Path, lake_url: &str, s3: &str) -> BTreeMap<(String, String), usize> {
    let output = run_ok(profile_only(dir).args([
        "sql",
        "--lake",
        lake_url,
        "--s3-endpoint",
        s3,
        "--profile",
        "alarm",
        "--format",
        "csv",
        "-c",
        POSITIONS_SQL,
    ]));
    count_positions(&output.stdout)
}

/// The consumer and `sql` with credentials and region only in profile files. Kinesis is on
/// kinesis-mock, whose streams are kept per region, so reading the stream at all proves the
/// profile's region reached Kinesis. The lake is on moto behind a proxy that checks every S3
/// request's signature names the profile's key and region.
#[test]
fn consume_and_sql_take_credentials_and_region_from_a_profile_alone() {
    let Some(kinesis) = endpoint() else { return };
    let Some(bucket) = S3Lake::create("profile") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let stream = unique("profile");
    let records = generated_records(6, 3_000);
    let expected = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let client = client_in(&kinesis, REGION);
            client
                .create_stream()
                .stream_name(&stream)
                .shard_count(3)
                .send()
                .await
                .unwrap();
            wait_active(&client, &stream).await;
            put_records(&client, &stream, &records).await
        });
    let upstream = bucket.endpoint.trim_start_matches("http://");
    let count_only = |needle| Rule {
        needle,
        every: u64::MAX,
        fault: Fault::Drop,
    };
    let proxy = FaultProxy::start(
        upstream,
        vec![
            count_only("Credential=AKIAALARMPROFILE01/"),
            count_only("/eu-west-3/s3/aws4_request"),
        ],
    );
    let lake_url = bucket.url();
    let consume = |extra: &[&str]| {
        let mut command = profile_only(dir.path());
        command.env("AWS_PROFILE", "alarm").args([
            "consume",
            "--stream",
            &stream,
            "--lake",
            &lake_url,
            "--kinesis-endpoint",
            &kinesis,
            "--s3-endpoint",
            &proxy.url,
        ]);
        command.args(extra);
        command
    };

    // `--check` names the sources, and never the secret.
    let check = run_ok(&mut consume(&["--check"]));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains(
            "profile `alarm` (from AWS_PROFILE), region eu-west-3 (from profile `alarm`)"
        ),
        "{said}"
    );
    assert!(
        said.contains("credentials from profile `alarm` (keys) (key …LE01)"),
        "{said}"
    );
    assert!(!said.contains(SECRET), "{said}");

    let (status, log) = status_and_log(&mut consume(&["--drain"]), Duration::from_secs(300));
    assert!(status.success(), "{log}");
    assert!(log.contains("consumed 3000 records from 3 shards"), "{log}");
    assert!(!log.contains(SECRET), "{log}");

    let found = positions(dir.path(), &lake_url, &proxy.url);
    let doubled = found.values().filter(|n| **n > 1).count();
    assert_eq!(doubled, 0, "positions twice in the lake");
    let found: std::collections::BTreeSet<_> = found.into_keys().collect();
    assert_eq!(
        found, expected,
        "the lake's rows are not the stream's records"
    );

    let requests = proxy.counts.requests.load(Relaxed);
    assert!(requests > 20, "only {requests} S3 requests");
    assert_eq!(
        proxy.matched[0].load(Relaxed),
        requests,
        "signed with another key"
    );
    assert_eq!(
        proxy.matched[1].load(Relaxed),
        requests,
        "signed for another region"
    );
}

/// Runs `command`, which must fail at once with exit 2; its standard error.
fn fails_at_start(command: &mut Command) -> String {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_with_timeout(&mut child, Duration::from_secs(30));
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    assert_eq!(status.code(), Some(2), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "not one line: {text}");
    text
}

#[test]
fn a_profile_that_does_not_exist_is_one_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config").display().to_string();
    let said = fails_at_start(profile_only(dir.path()).args([
        "sql",
        "--lake",
        "s3://any-bucket/lake",
        "--profile",
        "nope",
        "-c",
        "SELECT 1",
    ]));
    assert!(
        said.contains(&format!(
            "AWS profile `nope` (from --profile) is not defined in {config}"
        )),
        "{said}"
    );
    // The consumer, with the profile from the environment: the same, before any retry.
    let lake = dir.path().join("lake");
    let said = fails_at_start(profile_only(dir.path()).env("AWS_PROFILE", "nope").args([
        "consume",
        "--stream",
        "any",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--lake",
        lake.to_str().unwrap(),
    ]));
    assert!(
        said.contains("AWS profile `nope` (from AWS_PROFILE)"),
        "{said}"
    );
}

#[test]
fn an_expired_sso_session_is_one_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let said = fails_at_start(profile_only(dir.path()).args([
        "sql",
        "--lake",
        "s3://any-bucket/lake",
        "--profile",
        "sso",
        "-c",
        "SELECT 1",
    ]));
    assert!(said.contains("the SSO token has expired"), "{said}");
    assert!(said.contains("run `aws sso login --profile sso`"), "{said}");
}

#[test]
fn a_region_that_no_source_gives_is_one_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let said = fails_at_start(
        profile_only(dir.path())
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .args(["sql", "--lake", "s3://any-bucket/lake", "-c", "SELECT 1"]),
    );
    assert!(said.contains("no AWS region: looked at --region"), "{said}");
    assert!(!said.contains(SECRET), "{said}");
}
