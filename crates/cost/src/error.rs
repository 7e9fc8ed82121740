//! What can go wrong reading cost data: always names the file.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CostError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Format {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}
