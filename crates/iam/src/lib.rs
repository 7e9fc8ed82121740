//! Landfall's offline IAM policy engine.
pub mod glob;
pub mod json;
pub mod policy;
pub mod vars;
