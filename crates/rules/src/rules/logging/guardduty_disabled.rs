use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds GuardDuty detectors that are disabled (`Enable: false`).
    ///
    /// ## Why is this bad?
    /// GuardDuty is what notices stolen credentials being used from an
    /// unusual place, crypto mining and instances talking to known command
    /// and control hosts. A disabled detector notices nothing.
    ///
    /// ## Example
    /// ```yaml
    /// Detector:
    ///   Type: AWS::GuardDuty::Detector
    ///   Properties:
    ///     Enable: false
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     Enable: true
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `guardduty-enabled-centralized`](https://docs.aws.amazon.com/config/latest/developerguide/guardduty-enabled-centralized.html)
    pub struct GuarddutyDisabled {
        name: "guardduty-disabled",
        family: "logging",
        summary: "GuardDuty detector is disabled",
        severity: High,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["GUARDDUTY_ENABLED_CENTRALIZED"],
        checkov: [],
        kinds: ["AWS::GuardDuty::Detector"],
        fix: "set `Enable: true`",
    }
}

impl Rule for GuarddutyDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if flag(check.props, &["Enable"]) == Flag::False {
            out.push(Violation::new("detector has `Enable: false`").at(&["Enable"]));
        }
    }
}
