//! Saying which source of the chain gave credentials, and why none did, in words.

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::error::CredentialsError;

/// The source, from the features the chain's providers record on the credentials they make.
pub(crate) fn describe(credentials: &Credentials, profile: &str) -> String {
    let features = credentials
        .get_property::<Vec<AwsCredentialFeature>>()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut how: Vec<&str> = Vec::new();
    let mut from_profile = false;
    for feature in features {
        let word = match feature {
            AwsCredentialFeature::CredentialsEnvVars => "environment variables",
            AwsCredentialFeature::CredentialsProfile => {
                from_profile = true;
                continue;
            }
            AwsCredentialFeature::CredentialsSso | AwsCredentialFeature::CredentialsProfileSso => {
                "SSO"
            }
            AwsCredentialFeature::CredentialsProcess
            | AwsCredentialFeature::CredentialsProfileProcess => "credential_process",
            AwsCredentialFeature::CredentialsStsAssumeRole => "assumed role",
            AwsCredentialFeature::CredentialsProfileStsWebIdToken
            | AwsCredentialFeature::CredentialsStsAssumeRoleWebId
            | AwsCredentialFeature::CredentialsEnvVarsStsWebIdToken => "web identity token",
            AwsCredentialFeature::CredentialsHttp => "container credentials endpoint",
            AwsCredentialFeature::CredentialsImds => "instance metadata",
            _ => continue,
        };
        if !how.contains(&word) {
            how.push(word);
        }
    }
    match (from_profile, how.is_empty()) {
        (true, true) => format!("profile `{profile}` (keys)"),
        (true, false) => format!("profile `{profile}` ({})", how.join(", ")),
        (false, false) => how.join(", "),
        (false, true) => "the AWS credential chain".to_string(),
    }
}

/// The error and its causes in one line, with what to do about the common cases.
pub(crate) fn explain(error: &CredentialsError, profile: &str) -> String {
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    let hint = if message.contains("SSO token has expired") {
        format!("; run `aws sso login --profile {profile}`")
    } else if matches!(error, CredentialsError::CredentialsNotLoaded(_)) {
        "; looked at AWS_ACCESS_KEY_ID, the profile files, web identity, the container \
         endpoint and instance metadata: set keys, AWS_PROFILE or --profile, or run with a \
         role (an emulator accepts any key, such as test)"
            .to_string()
    } else {
        String::new()
    };
    message + &hint
}
