//! The code table: one line per rule. Codes are never reused; a removed
//! rule's code moves to [`RETIRED`] and stays there.

use crate::registry::Rule;
use crate::rules::{compute, data, ebs, ecr, edge, iam, landfall, logging, network, org, s3};

/// A rule with its code.
#[derive(Clone, Copy)]
pub struct RegisteredRule {
    pub code: &'static str,
    pub rule: &'static dyn Rule,
}

impl std::fmt::Debug for RegisteredRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.rule.meta().name)
    }
}

macro_rules! table {
    ($($code:literal => $rule:expr,)*) => {
        /// Every rule, ordered by code.
        pub static RULES: &[RegisteredRule] = &[
            $( RegisteredRule { code: $code, rule: &$rule }, )*
        ];
    };
}

table! {
    // org: organization-wide guardrails
    "LF001" => org::DisallowedService,
    "LF002" => org::RegionOutsideAllowlist,
    "LF003" => org::OrganizationLeaveAllowed,
    // landfall: Landfall's own annotations
    "LF090" => landfall::InvalidSuppression,
    // ebs
    "LF101" => ebs::UnencryptedEbsVolume,
    "LF102" => ebs::UnencryptedInstanceBlockDevice,
    "LF103" => ebs::UnencryptedLaunchTemplateBlockDevice,
    "LF104" => ebs::EbsDefaultEncryptionDisabled,
    // s3
    "LF201" => s3::S3BucketWithoutVersioning,
    "LF202" => s3::S3BucketWithoutPublicAccessBlock,
    "LF203" => s3::S3BucketPublicAcl,
    // compute
    "LF301" => compute::BurstInstanceType,
    "LF302" => compute::BurstDatabaseClass,
    "LF303" => compute::BurstCacheNodeType,
    "LF304" => compute::BurstKafkaBrokerType,
    "LF305" => compute::SshKeyPair,
    "LF306" => compute::InstanceWithoutSsmProfile,
    "LF307" => compute::Imdsv1Allowed,
    // iam
    "LF401" => iam::IamUser,
    "LF402" => iam::IamAccessKey,
    "LF403" => iam::IamLoginProfile,
    "LF404" => iam::IamPolicyAllowsFullAdmin,
    // network
    "LF501" => network::SshOpenToInternet,
    "LF502" => network::RdpOpenToInternet,
    "LF503" => network::AllTrafficOpenToInternet,
    "LF504" => network::InternetGatewayInBlockedEnvironment,
    "LF505" => network::OpenEgressInBlockedEnvironment,
    "LF506" => network::DefaultSecurityGroupAllowsTraffic,
    // logging
    "LF601" => logging::CloudtrailLoggingDisabled,
    "LF602" => logging::CloudtrailNotMultiRegion,
    "LF603" => logging::CloudtrailLogValidationDisabled,
    "LF604" => logging::CloudtrailWithoutKms,
    "LF605" => logging::ConfigRecordingDisabled,
    "LF606" => logging::GuarddutyDisabled,
    "LF607" => logging::VpcWithoutFlowLogs,
    // data
    "LF701" => data::UnencryptedRdsStorage,
    "LF702" => data::UnencryptedElasticacheAtRest,
    "LF703" => data::UnencryptedElasticacheInTransit,
    "LF704" => data::UnencryptedMskInTransit,
    "LF705" => data::MskWithoutCustomerKey,
    "LF706" => data::RdsWithoutDeletionProtection,
    "LF707" => data::RdsWithoutBackups,
    "LF708" => data::RdsPubliclyAccessible,
    "LF709" => data::KmsKeyRotationDisabled,
    // ecr
    "LF801" => ecr::EcrScanOnPushDisabled,
    "LF802" => ecr::EcrMutableTags,
    // edge
    "LF901" => edge::PublicLoadBalancerWithoutWaf,
    "LF902" => edge::CloudfrontWithoutWaf,
}

/// Codes of removed rules: never assigned again.
pub static RETIRED: &[&str] = &[];

/// The code of the scanner's own suppression check.
pub const INVALID_SUPPRESSION: &str = "LF090";

/// A rule by code (`LF101`) or name (`unencrypted-ebs-volume`).
pub fn rule_by_code(code_or_name: &str) -> Option<RegisteredRule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.rule.meta().name == code_or_name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(
                names.insert(r.rule.meta().name),
                "duplicate name {}",
                r.rule.meta().name
            );
            assert!(!RETIRED.contains(&r.code), "{} is retired", r.code);
            assert!(
                r.code.len() == 5
                    && r.code.starts_with("LF")
                    && r.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                r.code
            );
            let name = r.rule.meta().name;
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
        }
        let sorted: Vec<_> = RULES.iter().map(|r| r.code).collect();
        let mut expected = sorted.clone();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "the table is ordered by code");
    }

    #[test]
    fn every_rule_documents_the_fixed_headings_in_order() {
        for r in RULES {
            let docs = r.rule.meta().docs;
            let mut at = 0;
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## References",
            ] {
                let found = docs[at..].find(heading).map(|i| i + at);
                assert!(
                    found.is_some(),
                    "{} {}: missing or misplaced `{heading}`",
                    r.code,
                    r.rule.meta().name
                );
                at = found.unwrap_or(at);
            }
        }
    }

    #[test]
    fn rules_are_found_by_code_or_name() {
        assert_eq!(rule_by_code("lf101").map(|r| r.code), Some("LF101"));
        assert_eq!(
            rule_by_code("ssh-open-to-internet").map(|r| r.code),
            Some("LF501")
        );
        assert!(rule_by_code("LF999").is_none());
    }
}
