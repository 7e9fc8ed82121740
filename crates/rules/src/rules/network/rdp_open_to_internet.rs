use super::admin_port::check_port;
use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};

declare_rule! {
    /// ## What it does
    /// Finds security group rules that let the whole internet reach TCP port
    /// 3389 (RDP), directly, through a port range, or with protocol `-1`.
    ///
    /// ## Why is this bad?
    /// RDP exposed to the internet is one of the most attacked services
    /// there is. Fleet Manager and Session Manager port forwarding reach
    /// Windows hosts without an inbound port.
    ///
    /// ## Example
    /// ```yaml
    /// SecurityGroupIngress:
    ///   - IpProtocol: tcp
    ///     FromPort: 3389
    ///     ToPort: 3389
    ///     CidrIp: 0.0.0.0/0
    /// ```
    ///
    /// ## Use instead
    /// Remove the rule; use Session Manager port forwarding.
    ///
    /// ## References
    /// - [AWS Config rule `restricted-common-ports`](https://docs.aws.amazon.com/config/latest/developerguide/restricted-common-ports.html)
    pub struct RdpOpenToInternet {
        name: "rdp-open-to-internet",
        family: "network",
        summary: "RDP (port 3389) reachable from the internet",
        severity: High,
        guardrail: None,
        config_rules: ["RESTRICTED_INCOMING_TRAFFIC"],
        checkov: ["CKV_AWS_25"],
        kinds: ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        fix: "remove the rule; use Session Manager port forwarding",
    }
}

impl Rule for RdpOpenToInternet {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        check_port(check, 3389, "RDP", out);
    }
}
