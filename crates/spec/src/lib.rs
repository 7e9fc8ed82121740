//! The Landfall platform spec.
pub mod yaml;
