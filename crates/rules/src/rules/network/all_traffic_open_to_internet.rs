use crate::registry::{declare_rule, Check, Rule, RuleMeta, Violation};
use crate::rules::helpers::{all_traffic, ingress_entries, open_sources, path_refs, tcp_ports};

declare_rule! {
    /// ## What it does
    /// Finds security group rules that open every port (protocol `-1`, or
    /// TCP `0-65535`) to the whole internet.
    ///
    /// ## Why is this bad?
    /// Every service on the host, including the ones nobody remembers
    /// running, becomes reachable from anywhere.
    ///
    /// ## Example
    /// ```yaml
    /// SecurityGroupIngress:
    ///   - IpProtocol: '-1'
    ///     CidrIp: 0.0.0.0/0
    /// ```
    ///
    /// ## Use instead
    /// Open the one port the service listens on, to the load balancer's
    /// security group.
    ///
    /// ## References
    /// - [Security group rules](https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html)
    pub struct AllTrafficOpenToInternet {
        name: "all-traffic-open-to-internet",
        family: "network",
        summary: "every port reachable from the internet",
        severity: Critical,
        guardrail: None,
        config_rules: ["VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS"],
        checkov: ["CKV_AWS_277"],
        kinds: ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        fix: "open only the service's port, to the sources that need it",
    }
}

impl Rule for AllTrafficOpenToInternet {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, check: &Check<'_>, out: &mut Vec<Violation>) {
        for (path, entry) in ingress_entries(check.resource, check.props) {
            let sources = open_sources(entry);
            if sources.is_empty() {
                continue;
            }
            let every_port = all_traffic(entry) || tcp_ports(entry) == Some((0, 65535));
            if every_port {
                out.push(
                    Violation::new(format!(
                        "every port open to {}",
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
