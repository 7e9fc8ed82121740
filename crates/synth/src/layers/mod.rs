//! One module per layer; each turns part of the model into units.

pub mod access;
pub mod alerting;
pub mod baseline;
pub mod billing;
pub mod grafana;
pub mod heal_service;
pub mod identity;
pub mod log_lake;
pub mod log_search;
pub mod monitoring;
pub mod network;
pub mod oam;
pub mod organization;
pub mod pki;
pub mod platform_ci;
pub mod security;
pub mod shared;
pub mod zabbix;

use landfall_graph::intrinsic;
use serde_json::{json, Value};

/// A KMS key policy: the account administers the key (so IAM policies can
/// grant its use), plus the statements a layer adds.
pub(crate) fn key_policy(extra: Vec<Value>) -> Value {
    let mut statements = vec![json!({
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": { "AWS": intrinsic::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
        "Action": "kms:*",
        "Resource": "*"
    })];
    statements.extend(extra);
    json!({ "Version": "2012-10-17", "Statement": statements })
}
