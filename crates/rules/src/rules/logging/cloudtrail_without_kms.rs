use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds CloudTrail trails whose log files are not encrypted with a KMS
    /// key (`KMSKeyId` not set).
    ///
    /// ## Why is this bad?
    /// With SSE-S3 alone, anyone who can read the log bucket reads the
    /// trail. A KMS key adds a second, separately granted permission and a
    /// record of every decryption.
    ///
    /// ## Example
    /// ```yaml
    /// Trail:
    ///   Type: AWS::CloudTrail::Trail
    ///   Properties:
    ///     S3BucketName: audit-logs
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     KMSKeyId: !Ref TrailKey
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `cloud-trail-encryption-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/cloud-trail-encryption-enabled.html)
    pub struct CloudtrailWithoutKms {
        name: "cloudtrail-without-kms",
        family: "logging",
        summary: "CloudTrail logs are not encrypted with KMS",
        severity: Medium,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["CLOUD_TRAIL_ENCRYPTION_ENABLED"],
        checkov: ["CKV_AWS_35"],
        kinds: ["AWS::CloudTrail::Trail"],
        fix: "set `KMSKeyId` to a customer managed key",
    }
}

impl Rule for CloudtrailWithoutKms {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match check.props.get("KMSKeyId") {
            None | Some(crate::value::Value::Null) => {
                out.push(Violation::new(
                    "trail logs are not encrypted with a KMS key",
                ));
            }
            Some(_) => {}
        }
    }
}
