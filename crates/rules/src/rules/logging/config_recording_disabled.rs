use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds AWS Config recorders that record only some resource types
    /// (`RecordingGroup.AllSupported: false` without a reason the template
    /// can show), and Terraform `aws_config_configuration_recorder_status`
    /// with `is_enabled = false`.
    ///
    /// ## Why is this bad?
    /// Config is the detective half of every guardrail: a resource type that
    /// is not recorded is never evaluated, and a stopped recorder evaluates
    /// nothing at all.
    ///
    /// ## Example
    /// ```yaml
    /// Recorder:
    ///   Type: AWS::Config::ConfigurationRecorder
    ///   Properties:
    ///     RoleARN: !GetAtt ConfigRole.Arn
    ///     RecordingGroup:
    ///       AllSupported: false
    ///       ResourceTypes: [AWS::EC2::Instance]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     RecordingGroup:
    ///       AllSupported: true
    ///       IncludeGlobalResourceTypes: true
    /// ```
    ///
    /// ## References
    /// - [Recording AWS resources](https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html)
    pub struct ConfigRecordingDisabled {
        name: "config-recording-disabled",
        family: "logging",
        summary: "AWS Config does not record every resource type",
        severity: High,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: [],
        checkov: [],
        kinds: ["AWS::Config::ConfigurationRecorder", "Landfall::Config::RecorderStatus"],
        fix: "record all supported resource types and keep the recorder running",
    }
}

impl Rule for ConfigRecordingDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.resource.kind == "Landfall::Config::RecorderStatus" {
            if flag(check.props, &["IsEnabled"]) == Flag::False {
                out.push(Violation::new("configuration recorder is stopped").at(&["IsEnabled"]));
            }
            return;
        }
        if flag(check.props, &["RecordingGroup", "AllSupported"]) == Flag::False {
            out.push(
                Violation::new("recorder records only the listed resource types")
                    .at(&["RecordingGroup", "AllSupported"]),
            );
        }
    }
}
