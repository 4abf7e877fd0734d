//! Kinesis errors sorted by what a shard reader should do about them: wait and retry
//! (throttling, timeouts, 5xx), get a new iterator (expired), or stop with a clear message
//! (no such stream, bad credentials).

use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// ProvisionedThroughputExceeded, LimitExceeded, KMS throttling: back off.
    Throttled,
    /// The shard iterator is older than five minutes: ask for a new one.
    ExpiredIterator,
    /// Network trouble, timeouts, 5xx, KMS hiccups: back off and retry.
    Transient,
    /// The stream or shard does not exist.
    NotFound,
    /// Credentials or permissions are wrong: retrying will not help.
    Denied,
    /// Anything else: a bug or a bad request; not retried.
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct KinesisError {
    pub kind: ErrorKind,
    pub operation: &'static str,
    pub message: String,
}

impl KinesisError {
    pub fn retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }

    /// Classifies an SDK error from `operation`.
    pub fn from_sdk<E>(operation: &'static str, error: SdkError<E>) -> KinesisError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = error.code().map(str::to_string);
        let status = error.raw_response().map(|r| r.status().as_u16());
        let kind = match (&error, code.as_deref(), status) {
            (SdkError::TimeoutError(_) | SdkError::DispatchFailure(_), _, _) => {
                ErrorKind::Transient
            }
            (_, Some(code), _) => kind_of_code(code),
            (_, None, Some(status)) if status >= 500 || status == 429 => ErrorKind::Transient,
            (SdkError::ResponseError(_), _, _) => ErrorKind::Transient,
            _ => ErrorKind::Other,
        };
        let detail = error
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}", DisplayErrorContext(&error)));
        let message = match (code, status) {
            (Some(code), _) => format!("{code}: {detail}"),
            (None, Some(status)) => format!("HTTP {status}: {detail}"),
            (None, None) => detail,
        };
        KinesisError {
            kind,
            operation,
            message,
        }
    }
}

/// What an AWS error code means to a reader.
pub fn kind_of_code(code: &str) -> ErrorKind {
    match code {
        "ProvisionedThroughputExceededException"
        | "LimitExceededException"
        | "KMSThrottlingException"
        | "ThrottlingException"
        | "Throttling"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => ErrorKind::Throttled,
        "ExpiredIteratorException" => ErrorKind::ExpiredIterator,
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredTokenException"
        | "KMSAccessDeniedException"
        | "KMSDisabledException"
        | "KMSNotFoundException"
        | "KMSInvalidStateException" => ErrorKind::Denied,
        "InternalFailure"
        | "InternalFailureException"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "KMSOptInRequired" => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_a_reader_does() {
        assert_eq!(
            kind_of_code("ProvisionedThroughputExceededException"),
            ErrorKind::Throttled
        );
        assert_eq!(kind_of_code("LimitExceededException"), ErrorKind::Throttled);
        assert_eq!(kind_of_code("KMSThrottlingException"), ErrorKind::Throttled);
        assert_eq!(
            kind_of_code("ExpiredIteratorException"),
            ErrorKind::ExpiredIterator
        );
        assert_eq!(
            kind_of_code("ResourceNotFoundException"),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind_of_code("UnrecognizedClientException"),
            ErrorKind::Denied
        );
        assert_eq!(kind_of_code("InternalFailure"), ErrorKind::Transient);
        assert_eq!(kind_of_code("ValidationException"), ErrorKind::Other);
    }
}
