//! Errors of live operations, stated so the user knows what to do.

use std::error::Error as StdError;

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};

/// A problem that stops a live operation, or one account of it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// No credentials, or they were refused.
    #[error("{0}")]
    Credentials(String),
    /// A member account could not be entered.
    #[error("account `{account}` is unreachable: {message}")]
    Unreachable { account: String, message: String },
    /// An AWS call failed.
    #[error("{operation} failed: {message}")]
    Api { operation: String, message: String },
    /// The platform cannot be deployed as specified.
    #[error("{0}")]
    Plan(String),
    /// Something did not finish in time.
    #[error("{0}")]
    Timeout(String),
}

impl LiveError {
    pub fn api<E>(operation: impl Into<String>, error: &E) -> Self
    where
        E: StdError + ProvideErrorMetadata + 'static,
    {
        LiveError::Api {
            operation: operation.into(),
            message: sdk_message(error),
        }
    }
}

/// One line describing an SDK error: the service's code and message when it
/// answered, what stopped the request (connection refused, a name that does
/// not resolve, a timeout) in words when it never got there, otherwise the
/// error with its causes.
pub fn sdk_message<E>(error: &E) -> String
where
    E: StdError + ProvideErrorMetadata + 'static,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        // A transport failure in words; any other unparsed answer in full
        // (its raw body may be the only place the service's code is).
        _ => match transport_failure(error) {
            Some(failure) => failure.to_owned(),
            None => DisplayErrorContext(error).to_string(),
        },
    }
}

/// When a request never reached a service: what stopped it.
pub fn transport_failure(error: &(dyn StdError + 'static)) -> Option<&'static str> {
    let text = causes(error).to_ascii_lowercase();
    [
        ("connection refused", "connection refused"),
        ("dns error", "the host name does not resolve"),
        ("failed to lookup address", "the host name does not resolve"),
        ("timed out", "the connection timed out"),
        ("timeout", "the connection timed out"),
        (
            "invalid peer certificate",
            "its TLS certificate is not trusted",
        ),
        ("connection reset", "the connection was reset"),
    ]
    .into_iter()
    .find(|(needle, _)| text.contains(needle))
    .map(|(_, said)| said)
}

/// The error and its sources, each said once: `a: b: c`.
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        DisplayErrorContext(error).to_string()
    } else {
        parts.join(": ")
    }
}

/// The service's error code, when it answered.
pub fn code_of<E: ProvideErrorMetadata>(error: &E) -> &str {
    error.code().unwrap_or("")
}
