use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, exempt_platform, flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds CloudTrail trails with logging switched off (`IsLogging: false`;
    /// Terraform `enable_logging = false`).
    ///
    /// ## Why is this bad?
    /// CloudTrail is the record of who did what. Stopping it is the first
    /// step of an attacker covering their tracks, and the last thing an
    /// investigation wants to find.
    ///
    /// ## Example
    /// ```yaml
    /// Trail:
    ///   Type: AWS::CloudTrail::Trail
    ///   Properties:
    ///     IsLogging: false
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     IsLogging: true
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `cloudtrail-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/cloudtrail-enabled.html)
    pub struct CloudtrailLoggingDisabled {
        name: "cloudtrail-logging-disabled",
        family: "logging",
        summary: "CloudTrail trail is not logging",
        severity: Critical,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["CLOUD_TRAIL_ENABLED"],
        checkov: [],
        kinds: ["AWS::CloudTrail::Trail"],
        fix: "set `IsLogging: true`",
    }
}

impl Rule for CloudtrailLoggingDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if flag(check.props, &["IsLogging"]) == Flag::False {
            out.push(Violation::new("trail has `IsLogging: false`").at(&["IsLogging"]));
        }
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![
            exempt_platform(
                deny(
                    "LandfallProtectCloudTrail",
                    &[
                        "cloudtrail:StopLogging",
                        "cloudtrail:DeleteTrail",
                        "cloudtrail:UpdateTrail",
                        "cloudtrail:PutEventSelectors",
                    ],
                    "*",
                ),
                context.exempt_principals,
            ),
            exempt_platform(
                deny(
                    "LandfallProtectConfig",
                    &[
                        "config:StopConfigurationRecorder",
                        "config:DeleteConfigurationRecorder",
                        "config:DeleteDeliveryChannel",
                        "config:PutConfigurationRecorder",
                        "config:PutDeliveryChannel",
                    ],
                    "*",
                ),
                context.exempt_principals,
            ),
            exempt_platform(
                deny(
                    "LandfallProtectGuardDuty",
                    &[
                        "guardduty:DeleteDetector",
                        "guardduty:UpdateDetector",
                        "guardduty:DisassociateFromMasterAccount",
                        "guardduty:DisassociateFromAdministratorAccount",
                        "guardduty:StopMonitoringMembers",
                        "guardduty:DeleteMembers",
                        "guardduty:DisassociateMembers",
                    ],
                    "*",
                ),
                context.exempt_principals,
            ),
            exempt_platform(
                deny(
                    "LandfallProtectFlowLogs",
                    &[
                        "ec2:DeleteFlowLogs",
                        "logs:DeleteLogGroup",
                        "logs:DeleteLogStream",
                    ],
                    "*",
                ),
                context.exempt_principals,
            ),
        ]
    }
}
