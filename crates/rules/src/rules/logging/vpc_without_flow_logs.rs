use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds VPCs with no flow log in the same template or plan
    /// (`AWS::EC2::FlowLog` / `aws_flow_log` referring to the VPC).
    ///
    /// ## Why is this bad?
    /// Flow logs are the only record of which addresses talked to which:
    /// without them an investigation cannot tell whether data left the VPC.
    ///
    /// ## Example
    /// ```yaml
    /// Vpc:
    ///   Type: AWS::EC2::VPC
    ///   Properties:
    ///     CidrBlock: 10.0.0.0/16
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// VpcFlowLog:
    ///   Type: AWS::EC2::FlowLog
    ///   Properties:
    ///     ResourceId: !Ref Vpc
    ///     ResourceType: VPC
    ///     TrafficType: ALL
    ///     LogDestinationType: s3
    ///     LogDestination: arn:aws:s3:::org-flow-logs
    /// ```
    ///
    /// ## References
    /// - [VPC Flow Logs](https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html)
    /// - [AWS Config rule `vpc-flow-logs-enabled`](https://docs.aws.amazon.com/config/latest/developerguide/vpc-flow-logs-enabled.html)
    pub struct VpcWithoutFlowLogs {
        name: "vpc-without-flow-logs",
        family: "logging",
        summary: "VPC has no flow log",
        severity: Medium,
        guardrail: Some(GuardrailId::ProtectAuditServices),
        config_rules: ["VPC_FLOW_LOGS_ENABLED"],
        checkov: ["CKV2_AWS_11"],
        kinds: ["AWS::EC2::VPC"],
        fix: "add an `AWS::EC2::FlowLog` for the VPC with `TrafficType: ALL`",
    }
}

impl Rule for VpcWithoutFlowLogs {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        let logged = check
            .view
            .referrers(check.resource)
            .any(|r| r.kind == "AWS::EC2::FlowLog");
        if !logged {
            out.push(Violation::new("no flow log refers to this VPC"));
        }
    }
}
