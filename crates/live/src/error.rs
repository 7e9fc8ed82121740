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
/// answered, otherwise the chain of causes (connection refused, timeout).
pub fn sdk_message<E>(error: &E) -> String
where
    E: StdError + ProvideErrorMetadata + 'static,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}

/// The service's error code, when it answered.
pub fn code_of<E: ProvideErrorMetadata>(error: &E) -> &str {
    error.code().unwrap_or("")
}
