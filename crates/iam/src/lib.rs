//! Landfall's offline IAM policy engine.
pub mod authorize;
pub mod catalog;
pub mod compile;
pub mod glob;
pub mod json;
pub mod policy;
pub mod prove;
pub mod request;
pub mod simulate;
pub mod validate;
pub mod vars;
