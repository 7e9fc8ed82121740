use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, exempt_platform, with_condition};
use crate::services::{is_global_service, service_prefix, GLOBAL_ACTIONS};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds resources deployed to a region outside the platform's region
    /// allowlist: from the Terraform provider's or the resource's `region`,
    /// a template's `Region` parameter, or an availability zone the resource
    /// names. Global services (IAM, CloudFront, Route 53) are skipped.
    ///
    /// ## Why is this bad?
    /// Resources in regions nobody watches escape the platform's logging,
    /// backups and cost reports, and may put data where regulation says it
    /// must not be. An SCP denies every regional request outside the list.
    ///
    /// ## Example
    /// ```yaml
    /// Data:
    ///   Type: AWS::EC2::Volume
    ///   Properties:
    ///     AvailabilityZone: us-east-1a
    ///     Encrypted: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     AvailabilityZone: eu-central-1a
    /// ```
    ///
    /// ## References
    /// - [SCP example: deny access based on the requested Region](https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html#example-scp-deny-region)
    pub struct RegionOutsideAllowlist {
        name: "region-outside-allowlist",
        family: "org",
        summary: "resource in a region outside the allowlist",
        severity: High,
        guardrail: Some(GuardrailId::RegionAllowlist),
        config_rules: [],
        checkov: [],
        kinds: ["*"],
        fix: "deploy to an allowed region",
    }
}

/// `eu-central-1a` → `eu-central-1`.
fn region_of_zone(zone: &str) -> Option<&str> {
    let trimmed = zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
    (trimmed.len() < zone.len() && trimmed.ends_with(|c: char| c.is_ascii_digit()))
        .then_some(trimmed)
}

impl Rule for RegionOutsideAllowlist {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let allowed = &check.settings.allowed_regions;
        if allowed.is_empty() {
            return;
        }
        if service_prefix(&check.resource.kind).is_some_and(|p| is_global_service(&p)) {
            return;
        }
        let is_allowed = |region: &str| allowed.iter().any(|a| a == region);
        if let Some(region) = check.resource.region.as_deref() {
            if !is_allowed(region) {
                out.push(Violation::new(format!(
                    "deployed to `{region}`, outside the allowed regions"
                )));
                return;
            }
        }
        if let Some(zone) = check.props.get("AvailabilityZone").and_then(Value::as_str) {
            if let Some(region) = region_of_zone(zone) {
                if !is_allowed(region) {
                    out.push(
                        Violation::new(format!("availability zone `{zone}` is in `{region}`, outside the allowed regions"))
                            .at(&["AvailabilityZone"]),
                    );
                }
            }
        }
    }

    fn scp_statements(&self, context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        let regions = &context.settings.allowed_regions;
        if regions.is_empty() {
            return Vec::new();
        }
        let mut statement = deny("LandfallDenyOtherRegions", &[], "*");
        if let Some(object) = statement.as_object_mut() {
            object.remove("Action");
            object.insert("NotAction".to_owned(), serde_json::json!(GLOBAL_ACTIONS));
        }
        let statement = with_condition(
            statement,
            "StringNotEquals",
            "aws:RequestedRegion",
            serde_json::json!(regions),
        );
        vec![exempt_platform(statement, context.exempt_principals)]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::region_of_zone;
    use crate::services::{is_global_service, service_prefix};

    #[test]
    fn zones_name_their_region() {
        assert_eq!(region_of_zone("eu-central-1a"), Some("eu-central-1"));
        assert_eq!(region_of_zone("us-east-1-bos-1a"), Some("us-east-1-bos-1"));
        assert_eq!(region_of_zone("eu-central-1"), None);
    }

    #[test]
    fn the_check_skips_exactly_what_the_scp_exempts() {
        // CloudFront's web ACL lives in us-east-1; the SCP lets `wafv2:*`
        // through, so the check must not flag it either.
        for kind in [
            "AWS::WAFv2::WebACL",
            "AWS::CloudFront::Distribution",
            "AWS::IAM::Role",
        ] {
            let prefix = service_prefix(kind).unwrap();
            assert!(is_global_service(&prefix), "{kind}");
        }
        for kind in [
            "AWS::EC2::Volume",
            "AWS::RDS::DBCluster",
            "AWS::ECS::Service",
        ] {
            let prefix = service_prefix(kind).unwrap();
            assert!(!is_global_service(&prefix), "{kind}");
        }
    }
}
