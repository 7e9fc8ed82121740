use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds CloudTrail trails without log file integrity validation
    /// (`EnableLogFileValidation` false or not set).
    ///
    /// ## Why is this bad?
    /// Without the signed digest files nobody can prove that a log file was
    /// not edited or deleted after delivery, which regulators and forensic
    /// investigators of a trading firm will ask for.
    ///
    /// ## Example
    /// ```yaml
    /// Trail:
    ///   Type: AWS::CloudTrail::Trail
    ///   Properties:
    ///     IsLogging: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     EnableLogFileValidation: true
    /// ```
    ///
    /// ## References
    /// - [Validating CloudTrail log file integrity](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html)
    /// - [AWS Config rule `cloud-trail-log-file-validation-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/cloud-trail-log-file-validation-enabled.html)
    pub struct CloudtrailLogValidationDisabled {
        name: "cloudtrail-log-validation-disabled",
        family: "logging",
        summary: "CloudTrail log file validation is off",
        severity: Medium,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"],
        checkov: ["CKV_AWS_36"],
        kinds: ["AWS::CloudTrail::Trail"],
        fix: "set `EnableLogFileValidation: true`",
    }
}

impl Rule for CloudtrailLogValidationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match flag(check.props, &["EnableLogFileValidation"]) {
            Flag::False => out.push(
                Violation::new("trail has `EnableLogFileValidation: false`")
                    .at(&["EnableLogFileValidation"]),
            ),
            Flag::Absent => out.push(Violation::new("log file validation is not enabled")),
            Flag::True | Flag::Unknown => {}
        }
    }
}
