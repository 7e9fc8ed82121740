use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds a VPC's default security group (Terraform
    /// `aws_default_security_group`) configured with any ingress or egress
    /// rule. CloudFormation cannot manage the default security group.
    ///
    /// ## Why is this bad?
    /// Resources launched without a security group land in the default one.
    /// If it allows traffic, forgetting a security group quietly opens the
    /// resource instead of isolating it.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_default_security_group" "default" {
    ///   vpc_id = aws_vpc.main.id
    ///   egress {
    ///     from_port   = 0
    ///     to_port     = 0
    ///     protocol    = "-1"
    ///     cidr_blocks = ["0.0.0.0/0"]
    ///   }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```hcl
    /// resource "aws_default_security_group" "default" {
    ///   vpc_id = aws_vpc.main.id
    /// }
    /// ```
    ///
    /// ## References
    /// - [AWS Config rule `vpc-default-security-group-closed`](https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html)
    pub struct DefaultSecurityGroupAllowsTraffic {
        name: "default-security-group-allows-traffic",
        family: "network",
        summary: "a VPC's default security group allows traffic",
        severity: Medium,
        guardrail: Some(GuardrailId::EgressBlocked),
        config_rules: ["VPC_DEFAULT_SECURITY_GROUP_CLOSED"],
        checkov: ["CKV2_AWS_12"],
        kinds: ["Landfall::EC2::DefaultSecurityGroup"],
        fix: "declare the default security group with no rules",
    }
}

impl Rule for DefaultSecurityGroupAllowsTraffic {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
            let count = check
                .props
                .get(key)
                .map(Value::items)
                .map_or(0, <[Value]>::len);
            if count > 0 {
                let direction = if key.ends_with("Ingress") {
                    "ingress"
                } else {
                    "egress"
                };
                out.push(
                    Violation::new(format!(
                        "default security group has {count} {direction} rule(s)"
                    ))
                    .at(&[key]),
                );
            }
        }
    }
}
