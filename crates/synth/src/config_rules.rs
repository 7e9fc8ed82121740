//! AWS Config managed rules: the detective side of the guardrails.
//!
//! [`config_rules`] is the one place they come from. Like
//! [`crate::scp::service_control_policies`] it is interim: the guardrail
//! rule registry (`landfall-rules`) will supply the rules per account class
//! through the same signature.

use landfall_model::Model;
use landfall_spec::types::{ControlMode, GuardrailId};

/// One AWS Config managed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRule {
    /// The rule's name in each account.
    pub name: &'static str,
    /// The managed rule's source identifier.
    pub identifier: &'static str,
    /// Periodic rules run daily; the others on configuration changes.
    pub periodic: bool,
    /// Rules about global resources (IAM) run in the home region only.
    pub global: bool,
    pub guardrail: GuardrailId,
}

const fn rule(
    guardrail: GuardrailId,
    name: &'static str,
    identifier: &'static str,
    periodic: bool,
    global: bool,
) -> ConfigRule {
    ConfigRule {
        name,
        identifier,
        periodic,
        global,
        guardrail,
    }
}

/// Every rule a guardrail detects with, whatever its mode.
const RULES: &[ConfigRule] = &[
    rule(
        GuardrailId::EbsEncryption,
        "encrypted-volumes",
        "ENCRYPTED_VOLUMES",
        false,
        false,
    ),
    rule(
        GuardrailId::EbsEncryption,
        "ebs-encryption-by-default",
        "EC2_EBS_ENCRYPTION_BY_DEFAULT",
        true,
        false,
    ),
    rule(
        GuardrailId::S3Versioning,
        "s3-bucket-versioning-enabled",
        "S3_BUCKET_VERSIONING_ENABLED",
        false,
        false,
    ),
    rule(
        GuardrailId::SsoOnly,
        "iam-root-access-key-check",
        "IAM_ROOT_ACCESS_KEY_CHECK",
        true,
        true,
    ),
    rule(
        GuardrailId::SsoOnly,
        "iam-user-no-policies-check",
        "IAM_USER_NO_POLICIES_CHECK",
        false,
        true,
    ),
    rule(
        GuardrailId::SessionManagerOnly,
        "incoming-ssh-disabled",
        "INCOMING_SSH_DISABLED",
        false,
        false,
    ),
    rule(
        GuardrailId::SessionManagerOnly,
        "ec2-instance-managed-by-ssm",
        "EC2_INSTANCE_MANAGED_BY_SSM",
        false,
        false,
    ),
    rule(
        GuardrailId::EgressBlocked,
        "no-unrestricted-route-to-igw",
        "NO_UNRESTRICTED_ROUTE_TO_IGW",
        false,
        false,
    ),
    rule(
        GuardrailId::EgressBlocked,
        "vpc-default-security-group-closed",
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
        false,
        false,
    ),
    rule(
        GuardrailId::ProtectAuditServices,
        "cloudtrail-enabled",
        "CLOUD_TRAIL_ENABLED",
        true,
        false,
    ),
    rule(
        GuardrailId::ProtectAuditServices,
        "vpc-flow-logs-enabled",
        "VPC_FLOW_LOGS_ENABLED",
        true,
        false,
    ),
    rule(
        GuardrailId::ProtectAuditServices,
        "guardduty-enabled-centralized",
        "GUARDDUTY_ENABLED_CENTRALIZED",
        true,
        false,
    ),
    rule(
        GuardrailId::CdnInFront,
        "alb-waf-enabled",
        "ALB_WAF_ENABLED",
        false,
        false,
    ),
    rule(
        GuardrailId::DataEncryption,
        "rds-storage-encrypted",
        "RDS_STORAGE_ENCRYPTED",
        false,
        false,
    ),
    rule(
        GuardrailId::DataEncryption,
        "elasticache-repl-grp-encrypted-at-rest",
        "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST",
        true,
        false,
    ),
];

/// The Config rules of every member account: those of each guardrail not
/// switched off. Burstable instance families have no managed rule
/// (DESIRED_INSTANCE_TYPE is an allowlist), so `no-burst-instances` is
/// preventive only.
pub fn config_rules(model: &Model) -> Vec<ConfigRule> {
    RULES
        .iter()
        .filter(|r| model.guardrails.mode(r.guardrail) != ControlMode::Off)
        .cloned()
        .collect()
}
