//! Service control policies from the spec's guardrails.
//!
//! [`service_control_policies`] is the one place SCP statements come from.
//! It is an interim compiler: the guardrail rule registry
//! (`landfall-rules`) owns these statements and will replace this function's
//! body with its own compiler, keeping the signature.

use landfall_model::{Model, OuKind};
use landfall_spec::types::{ControlMode, EgressMode, GuardrailId};
use serde_json::{json, Value};

/// Where a policy is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScpTarget {
    /// The organization root: every account but the management account.
    Root,
    Ou(landfall_model::OuId),
}

/// One service control policy and its attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Scp {
    /// Unique, letters, digits and dashes, for example `guardrails-baseline`.
    pub name: String,
    pub description: String,
    /// The policy document.
    pub document: Value,
    pub targets: Vec<ScpTarget>,
}

/// Roles that run the platform's own automation and may change what the
/// guardrails protect. Service-managed StackSets act through a
/// service-linked role, which SCPs never restrict.
const PLATFORM_ROLES: [&str; 2] = [
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/landfall/*",
];

/// Global services, exempt from the region allowlist (they are served from
/// us-east-1 whatever region a caller uses).
const GLOBAL_SERVICES: [&str; 22] = [
    "a4b:*",
    "account:*",
    "aws-portal:*",
    "budgets:*",
    "ce:*",
    "cloudfront:*",
    "cur:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "kms:*",
    "organizations:*",
    "route53:*",
    "route53domains:*",
    "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "waf:*",
];

fn not_platform() -> Value {
    json!({ "ArnNotLike": { "aws:PrincipalArn": PLATFORM_ROLES } })
}

/// The SCPs of the platform: one baseline policy on the root, one policy per
/// environment on that environment's OUs, and deny-all on the suspended OU.
/// Only guardrails in `preventive` mode produce statements.
pub fn service_control_policies(model: &Model) -> Vec<Scp> {
    let g = &model.guardrails;
    let on = |id: GuardrailId| g.mode(id) == ControlMode::Preventive;
    let mut baseline = Vec::new();
    if on(GuardrailId::RegionAllowlist) {
        let regions: Vec<&str> = g
            .allowed_regions
            .iter()
            .map(|r| model.region(*r).name.as_str())
            .collect();
        baseline.push(json!({
            "Sid": "DenyOutsideAllowedRegions",
            "Effect": "Deny",
            "NotAction": GLOBAL_SERVICES,
            "Resource": "*",
            "Condition": { "StringNotEquals": { "aws:RequestedRegion": regions } }
        }));
    }
    if on(GuardrailId::ProtectAuditServices) {
        baseline.push(json!({
            "Sid": "ProtectAuditServices",
            "Effect": "Deny",
            "Action": [
                "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
                "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
                "config:StopConfigurationRecorder",
                "guardduty:DeleteDetector", "guardduty:DisassociateFromAdministratorAccount",
                "guardduty:UpdateDetector",
                "ec2:DeleteFlowLogs",
                "securityhub:DisableSecurityHub",
                "access-analyzer:DeleteAnalyzer"
            ],
            "Resource": "*",
            "Condition": not_platform()
        }));
    }
    if on(GuardrailId::StayInOrganization) {
        baseline.push(json!({
            "Sid": "StayInOrganization",
            "Effect": "Deny",
            "Action": ["organizations:LeaveOrganization"],
            "Resource": "*"
        }));
    }
    if on(GuardrailId::SsoOnly) {
        baseline.push(json!({
            "Sid": "NoIamUsers",
            "Effect": "Deny",
            "Action": [
                "iam:CreateAccessKey", "iam:CreateLoginProfile",
                "iam:CreateServiceSpecificCredential", "iam:CreateUser", "iam:UpdateLoginProfile"
            ],
            "Resource": "*"
        }));
    }
    if on(GuardrailId::SessionManagerOnly) {
        baseline.push(json!({
            "Sid": "NoSshKeys",
            "Effect": "Deny",
            "Action": ["ec2:CreateKeyPair", "ec2:ImportKeyPair"],
            "Resource": "*"
        }));
    }
    if on(GuardrailId::EbsEncryption) {
        baseline.push(json!({
            "Sid": "NoUnencryptedVolumes",
            "Effect": "Deny",
            "Action": ["ec2:CreateVolume"],
            "Resource": "*",
            "Condition": { "Bool": { "ec2:Encrypted": "false" } }
        }));
        baseline.push(json!({
            "Sid": "KeepEbsEncryptionByDefault",
            "Effect": "Deny",
            "Action": ["ec2:DisableEbsEncryptionByDefault"],
            "Resource": "*"
        }));
    }
    if on(GuardrailId::NoBurstInstances) {
        let families = |prefix: &str| -> Vec<String> {
            g.denied_instance_families
                .iter()
                .filter_map(|f| match prefix {
                    "" => (!f.contains('.')).then(|| format!("{f}.*")),
                    p => f.strip_prefix(p).map(|rest| format!("{p}{rest}.*")),
                })
                .collect()
        };
        let ec2 = families("");
        if !ec2.is_empty() {
            baseline.push(json!({
                "Sid": "NoBurstInstances",
                "Effect": "Deny",
                "Action": ["ec2:RunInstances"],
                "Resource": "arn:aws:ec2:*:*:instance/*",
                "Condition": { "StringLike": { "ec2:InstanceType": ec2 } }
            }));
        }
        let rds = families("db.");
        if !rds.is_empty() {
            baseline.push(json!({
                "Sid": "NoBurstDatabases",
                "Effect": "Deny",
                "Action": ["rds:CreateDBInstance", "rds:ModifyDBInstance"],
                "Resource": "*",
                "Condition": { "StringLike": { "rds:DatabaseClass": rds } }
            }));
        }
        let cache = families("cache.");
        if !cache.is_empty() {
            baseline.push(json!({
                "Sid": "NoBurstCaches",
                "Effect": "Deny",
                "Action": [
                    "elasticache:CreateCacheCluster", "elasticache:CreateReplicationGroup",
                    "elasticache:ModifyCacheCluster", "elasticache:ModifyReplicationGroup"
                ],
                "Resource": "*",
                "Condition": { "StringLike": { "elasticache:CacheNodeType": cache } }
            }));
        }
    }
    if on(GuardrailId::S3Versioning) {
        baseline.push(json!({
            "Sid": "KeepS3Versioning",
            "Effect": "Deny",
            "Action": ["s3:PutBucketVersioning"],
            "Resource": "*",
            "Condition": not_platform()
        }));
    }
    if on(GuardrailId::DataEncryption) {
        baseline.push(json!({
            "Sid": "NoUnencryptedDatabases",
            "Effect": "Deny",
            "Action": ["rds:CreateDBCluster", "rds:CreateDBInstance"],
            "Resource": "*",
            "Condition": { "Bool": { "rds:StorageEncrypted": "false" } }
        }));
        baseline.push(json!({
            "Sid": "NoUnencryptedCaches",
            "Effect": "Deny",
            "Action": ["elasticache:CreateReplicationGroup"],
            "Resource": "*",
            "Condition": { "Bool": { "elasticache:AtRestEncryptionEnabled": "false" } }
        }));
    }
    let mut out = Vec::new();
    if !baseline.is_empty() {
        out.push(Scp {
            name: "guardrails-baseline".into(),
            description: "Guardrails every member account gets".into(),
            document: json!({ "Version": "2012-10-17", "Statement": baseline }),
            targets: vec![ScpTarget::Root],
        });
    }
    for env in &model.environments {
        let mut statements = Vec::new();
        if on(GuardrailId::ServiceAllowlist) {
            if let Some(services) = g.allowed_services.get(&env.id) {
                let mut actions: Vec<String> = services.iter().map(|s| format!("{s}:*")).collect();
                // What every account needs to be operated at all.
                for s in [
                    "cloudformation",
                    "cloudwatch",
                    "iam",
                    "logs",
                    "sts",
                    "ssm",
                    "kms",
                    "tag",
                ] {
                    let a = format!("{s}:*");
                    if !actions.contains(&a) {
                        actions.push(a);
                    }
                }
                actions.sort();
                statements.push(json!({
                    "Sid": "OnlyAllowedServices",
                    "Effect": "Deny",
                    "NotAction": actions,
                    "Resource": "*",
                    "Condition": not_platform()
                }));
            }
        }
        if on(GuardrailId::EgressBlocked) && !env.production && env.egress.mode != EgressMode::Open
        {
            statements.push(json!({
                "Sid": "NoDirectEgress",
                "Effect": "Deny",
                "Action": [
                    "ec2:AcceptVpcPeeringConnection", "ec2:AttachInternetGateway",
                    "ec2:CreateEgressOnlyInternetGateway", "ec2:CreateInternetGateway",
                    "ec2:CreateNatGateway", "ec2:CreateVpcPeeringConnection"
                ],
                "Resource": "*",
                "Condition": not_platform()
            }));
        }
        let targets: Vec<ScpTarget> = model
            .organizational_units
            .iter()
            .filter(|ou| ou.kind == OuKind::Environment && ou.environment == Some(env.id))
            .map(|ou| ScpTarget::Ou(ou.id))
            .collect();
        if !statements.is_empty() && !targets.is_empty() {
            out.push(Scp {
                name: format!("guardrails-{}", env.name),
                description: format!("Guardrails of the {} environment", env.name),
                document: json!({ "Version": "2012-10-17", "Statement": statements }),
                targets,
            });
        }
    }
    if let Some(suspended) = model
        .organizational_units
        .iter()
        .find(|ou| ou.kind == OuKind::Suspended)
    {
        out.push(Scp {
            name: "suspended-deny-all".into(),
            description: "Accounts being closed can do nothing".into(),
            document: json!({
                "Version": "2012-10-17",
                "Statement": [{ "Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*" }]
            }),
            targets: vec![ScpTarget::Ou(suspended.id)],
        });
    }
    out
}
