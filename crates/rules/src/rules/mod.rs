//! The rules, one folder per family and one file per rule.

pub mod compute;
pub mod data;
pub mod ebs;
pub mod ecr;
pub mod edge;
pub mod helpers;
pub mod iam;
pub mod landfall;
pub mod logging;
pub mod network;
pub mod org;
pub mod s3;
