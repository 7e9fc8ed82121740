use landfall_spec::types::GuardrailId;

use crate::registry::{declare_rule, Check, Rule, RuleMeta, ScpContext, Violation};
use crate::rules::helpers::{deny, is_whole_internet};
use crate::value::Value;

declare_rule! {
    /// ## What it does
    /// In environments whose egress is blocked (dev and staging: every
    /// non-production environment), finds internet gateways, egress-only
    /// internet gateways, their attachments, and routes to the internet
    /// through them. The environment comes from `--environment`, the
    /// template's `Environment` parameter or tag, or Terraform tags.
    ///
    /// ## Why is this bad?
    /// Test environments hold copies of production data and run code that
    /// has not been reviewed for production; a direct route out lets either
    /// leave. Egress that is needed goes through the network account's
    /// inspected path, with an allowlist.
    ///
    /// ## Example
    /// ```yaml
    /// Parameters:
    ///   Environment: { Type: String, Default: dev }
    /// Resources:
    ///   Gateway:
    ///     Type: AWS::EC2::InternetGateway
    /// ```
    ///
    /// ## Use instead
    /// Use the shared VPC's subnets and the VPC endpoints it provides.
    ///
    /// ## References
    /// - [AWS Config rule `no-unrestricted-route-to-igw`](https://docs.aws.amazon.com/config/latest/developerguide/no-unrestricted-route-to-igw.html)
    pub struct InternetGatewayInBlockedEnvironment {
        name: "internet-gateway-in-blocked-environment",
        family: "network",
        summary: "internet gateway or route to the internet where egress is blocked",
        severity: High,
        guardrail: Some(GuardrailId::EgressBlocked),
        config_rules: ["NO_UNRESTRICTED_ROUTE_TO_IGW"],
        checkov: [],
        kinds: [
            "AWS::EC2::InternetGateway",
            "AWS::EC2::EgressOnlyInternetGateway",
            "AWS::EC2::VPCGatewayAttachment",
            "AWS::EC2::Route",
            "AWS::EC2::RouteTable",
        ],
        fix: "remove the gateway; egress goes through the network account's inspected path",
    }
}

fn route_to_gateway(route: &Value) -> Option<String> {
    let to_internet = ["DestinationCidrBlock", "DestinationIpv6CidrBlock"]
        .iter()
        .any(|k| {
            route
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(is_whole_internet)
        });
    if !to_internet {
        return None;
    }
    if let Some(gateway) = route.get("GatewayId") {
        let text = gateway.display();
        // A reference to a gateway resource, or an `igw-` id.
        if gateway.is_unknown() || text.starts_with("igw-") {
            return Some(text);
        }
    }
    route.get("EgressOnlyInternetGatewayId").map(Value::display)
}

impl Rule for InternetGatewayInBlockedEnvironment {
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
        match check.resource.kind.as_str() {
            "AWS::EC2::InternetGateway" | "AWS::EC2::EgressOnlyInternetGateway" => {
                out.push(Violation::new(format!(
                    "internet gateway in `{environment}`, where egress is blocked"
                )));
            }
            "AWS::EC2::VPCGatewayAttachment" if check.props.get("InternetGatewayId").is_some() => {
                out.push(
                    Violation::new(format!("internet gateway attached in `{environment}`"))
                        .at(&["InternetGatewayId"]),
                );
            }
            "AWS::EC2::Route" => {
                if let Some(gateway) = route_to_gateway(check.props) {
                    out.push(Violation::new(format!(
                        "route to the internet through `{gateway}` in `{environment}`"
                    )));
                }
            }
            "AWS::EC2::RouteTable" => {
                for (i, route) in check
                    .props
                    .get("Routes")
                    .map(Value::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    if let Some(gateway) = route_to_gateway(route) {
                        let index = i.to_string();
                        out.push(
                            Violation::new(format!(
                                "route to the internet through `{gateway}` in `{environment}`"
                            ))
                            .at(&["Routes", &index]),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn scp_statements(&self, _context: &ScpContext<'_>) -> Vec<serde_json::Value> {
        vec![deny(
            "LandfallDenyInternetGateways",
            &[
                "ec2:CreateInternetGateway",
                "ec2:AttachInternetGateway",
                "ec2:CreateEgressOnlyInternetGateway",
                "ec2:CreateVpcPeeringConnection",
                "ec2:AcceptVpcPeeringConnection",
            ],
            "*",
        )]
    }
}
