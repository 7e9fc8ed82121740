//! Rules about Landfall's own annotations.

pub mod invalid_suppression;

pub use invalid_suppression::InvalidSuppression;
