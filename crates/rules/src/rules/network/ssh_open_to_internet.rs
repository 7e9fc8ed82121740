use landfall_spec::types::GuardrailId;

use super::admin_port::check_port;
use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds security group rules that let the whole internet (`0.0.0.0/0`
    /// or `::/0`) reach TCP port 22: a rule for port 22, any port range that
    /// contains it (`0-65535`, `20-30`), or protocol `-1` (all traffic).
    /// Rules inside `AWS::EC2::SecurityGroup` and standalone
    /// `AWS::EC2::SecurityGroupIngress` resources (Terraform
    /// `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`) are
    /// both checked.
    ///
    /// ## Why is this bad?
    /// SSH open to the internet is scanned within minutes and brute-forced
    /// for as long as it stays open. Shell access goes through Session
    /// Manager, which needs no inbound port at all. Scanners that only match
    /// `tcp 22-22 from 0.0.0.0/0` miss ranges, IPv6 and protocol `-1`.
    ///
    /// ## Example
    /// ```yaml
    /// Bastion:
    ///   Type: AWS::EC2::SecurityGroup
    ///   Properties:
    ///     GroupDescription: bastion
    ///     SecurityGroupIngress:
    ///       - IpProtocol: tcp
    ///         FromPort: 0
    ///         ToPort: 1024
    ///         CidrIpv6: ::/0
    /// ```
    ///
    /// ## Use instead
    /// Remove the rule and connect with `aws ssm start-session`.
    ///
    /// ## References
    /// - [AWS Config rule `restricted-ssh`](https://docs.aws.amazon.com/config/latest/developerguide/restricted-ssh.html)
    /// - [Session Manager](https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html)
    pub struct SshOpenToInternet {
        name: "ssh-open-to-internet",
        family: "network",
        summary: "SSH (port 22) reachable from the internet",
        severity: Critical,
        guardrail: Some(GuardrailId::SessionManagerOnly),
        config_rules: ["INCOMING_SSH_DISABLED"],
        checkov: ["CKV_AWS_24"],
        kinds: ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        fix: "remove the rule; reach instances through Session Manager",
    }
}

impl Rule for SshOpenToInternet {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        check_port(check, 22, "SSH", out);
    }
}
