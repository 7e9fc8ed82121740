use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// Finds a VPC's default security group (Terraform
    /// `aws_default_security_group`) configured with any ingress or egress
    /// rule, and a Terraform VPC whose default security group the plan does
    /// not manage at all: AWS creates it allowing all traffic between its
    /// members and all egress. CloudFormation cannot manage the default
    /// security group, so CloudFormation VPCs are left to AWS Config's
    /// `vpc-default-security-group-closed`.
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
    /// - [Default security groups for your VPCs](https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html)
    /// - [AWS Config rule `vpc-default-security-group-closed`](https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html)
    pub struct DefaultSecurityGroupAllowsTraffic {
        name: "default-security-group-allows-traffic",
        family: "network",
        summary: "a VPC's default security group allows traffic",
        severity: Medium,
        guardrail: Some(GuardrailId::EgressBlocked),
        config_rules: ["VPC_DEFAULT_SECURITY_GROUP_CLOSED"],
        checkov: ["CKV2_AWS_12"],
        kinds: ["Landfall::EC2::DefaultSecurityGroup", "AWS::EC2::VPC"],
        fix: "declare the default security group with no rules (Terraform: an `aws_default_security_group` for the VPC without `ingress` or `egress` blocks)",
    }
}

impl Rule for DefaultSecurityGroupAllowsTraffic {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        if check.resource.kind == "AWS::EC2::VPC" {
            // Only a plan can manage the default group (CloudFormation cannot).
            let managed = check.resource.source_type != "aws_vpc"
                || check
                    .view
                    .referrers(check.resource)
                    .any(|r| r.kind == "Landfall::EC2::DefaultSecurityGroup");
            if !managed {
                out.push(Violation::new(
                    "the VPC's default security group is not managed: AWS creates it allowing all traffic between its members and all egress",
                ));
            }
            return;
        }
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
