use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{egress_entries, open_sources, path_refs};

declare_rule! {
    /// ## What it does
    /// In environments whose egress is blocked (dev, staging), finds security
    /// groups that allow egress to the whole internet: an egress rule to
    /// `0.0.0.0/0` or `::/0`, or a CloudFormation security group that
    /// declares no egress rules (AWS then adds allow-all). Terraform's
    /// `aws_security_group` without `egress` blocks has no egress and passes.
    ///
    /// ## Why is this bad?
    /// Blocked egress is defence in depth: if a route out appears by mistake,
    /// the security group still stops a compromised task from calling home.
    ///
    /// ## Example
    /// ```yaml
    /// AppSg:
    ///   Type: AWS::EC2::SecurityGroup
    ///   Properties:
    ///     GroupDescription: app
    ///     VpcId: !Ref Vpc
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///     SecurityGroupEgress:
    ///       - IpProtocol: tcp
    ///         FromPort: 443
    ///         ToPort: 443
    ///         DestinationPrefixListId: !Ref S3PrefixList
    /// ```
    ///
    /// ## References
    /// - [Security group rules](https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html)
    pub struct OpenEgressInBlockedEnvironment {
        name: "open-egress-in-blocked-environment",
        family: "network",
        summary: "security group allows egress to the internet where egress is blocked",
        severity: Medium,
        guardrail: Some(GuardrailId::EgressBlocked),
        config_rules: [],
        checkov: ["CKV_AWS_382"],
        kinds: ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress"],
        fix: "declare egress rules to the VPC endpoints and internal ranges the service needs",
    }
}

impl Rule for OpenEgressInBlockedEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let Some(environment) = check.resource.environment.as_deref() else {
            return;
        };
        if !check.settings.egress_blocked(environment) {
            return;
        }
        let Some(entries) = egress_entries(check.resource, check.props) else {
            out.push(Violation::new(format!(
                "no egress rules: AWS adds allow-all egress, and `{environment}` blocks egress"
            )));
            return;
        };
        for (path, entry) in entries {
            let sources = open_sources(entry);
            if !sources.is_empty() {
                out.push(
                    Violation::new(format!(
                        "egress to {} in `{environment}`, where egress is blocked",
                        sources
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ))
                    .at(&path_refs(&path)),
                );
            }
        }
    }
}
