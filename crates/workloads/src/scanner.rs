//! The internal scanners' way in: every security group the workload layer
//! creates admits the scanner group of its VPC (`network.scanner`), on
//! every port, so a vulnerability scan never waits for a hand-made rule.
//! The group is in another account (the scanner account, a participant of
//! the shared VPC); groups of one shared VPC's participants may reference
//! each other by id
//! (<https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing-security-groups.html>).

use landfall_graph::{logical_id, Parameter, ParameterValue, Resource, Stack};
use serde_json::json;

use crate::ctx::{Ctx, Placement};

/// Groups that admit no scanner: one only marks members and holds no rules
/// of its own; the quarantine group must admit nothing at all.
const MARKERS: &[&str] = &["TasksOfTheLoadBalancer", "QuarantineSecurityGroup"];

/// Adds the scanner's ingress to every security group of `stack`.
pub(crate) fn admit(ctx: &Ctx<'_>, place: &Placement<'_>, stack: &mut Stack) {
    if ctx.model.network.scanner.is_none() {
        return;
    }
    let groups: Vec<String> = stack
        .resources
        .iter()
        .filter(|r| {
            r.kind == "AWS::EC2::SecurityGroup" && !MARKERS.contains(&r.logical_id.as_str())
        })
        .map(|r| r.logical_id.clone())
        .collect();
    if groups.is_empty() {
        return;
    }
    let scanner_stack = landfall_graph::scanner_stack_name(ctx.slug, &place.vpc.name);
    let param = "ScannerGroupId";
    if !stack.parameters.iter().any(|p| p.name == param) {
        stack.parameters.push(Parameter {
            name: param.into(),
            description: format!(
                "The internal scanners' security group in {}",
                place.vpc.name
            ),
            value: ParameterValue::ResourceId {
                stack: scanner_stack.clone(),
                logical_id: landfall_graph::SCANNER_GROUP_LOGICAL_ID.into(),
            },
        });
    }
    if !stack.depends_on.contains(&scanner_stack) {
        stack.depends_on.push(scanner_stack);
    }
    for group in groups {
        let mut rule = Resource::new(
            logical_id(&["ScannerInto", &group]),
            "AWS::EC2::SecurityGroupIngress",
        );
        if let serde_json::Value::Object(map) = json!({
            "GroupId": { "Fn::GetAtt": [group, "GroupId"] },
            "IpProtocol": "-1",
            "SourceSecurityGroupId": { "Ref": param },
            "Description": "internal vulnerability scanners (network.scanner)"
        }) {
            rule.properties = map;
        }
        stack.resources.push(rule);
    }
}
