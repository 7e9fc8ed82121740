use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{flag, Flag};

declare_rule! {
    /// ## What it does
    /// Finds CloudTrail trails that record one region only
    /// (`IsMultiRegionTrail` false or not set).
    ///
    /// ## Why is this bad?
    /// Activity in the regions the trail does not cover goes unrecorded, and
    /// an unused region is exactly where an attacker starts mining.
    ///
    /// ## Example
    /// ```yaml
    /// Trail:
    ///   Type: AWS::CloudTrail::Trail
    ///   Properties:
    ///     IsLogging: true
    ///     S3BucketName: audit-logs
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     IsMultiRegionTrail: true
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `multi-region-cloudtrail-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/multi-region-cloudtrail-enabled.html)
    pub struct CloudtrailNotMultiRegion {
        name: "cloudtrail-not-multi-region",
        family: "logging",
        summary: "CloudTrail trail covers one region only",
        severity: High,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["MULTI_REGION_CLOUD_TRAIL_ENABLED"],
        checkov: ["CKV_AWS_67"],
        kinds: ["AWS::CloudTrail::Trail"],
        fix: "set `IsMultiRegionTrail: true`",
    }
}

impl Rule for CloudtrailNotMultiRegion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        match flag(check.props, &["IsMultiRegionTrail"]) {
            Flag::False => out.push(
                Violation::new("trail has `IsMultiRegionTrail: false`").at(&["IsMultiRegionTrail"]),
            ),
            Flag::Absent => out.push(Violation::new(
                "trail records one region only (`IsMultiRegionTrail` not set)",
            )),
            Flag::True | Flag::Unknown => {}
        }
    }
}
